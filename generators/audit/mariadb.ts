/**
 * MD-01..MD-07 for a MariaDB or MySQL service of any project's compose file (the official images'
 * contract: MARIADB_* or MYSQL_* variables, their `_FILE` twins, data in /var/lib/mysql).
 */
import { seconds } from './program.js';
import type { RuleId } from './rules.js';
import { asRecord } from './util.js';

type Js = Record<string, unknown>;

/** `mariadb`, `mysql`, `bitnami/mariadb`, `registry/x/mysql:8.4@sha256:...` */
export const MARIADB_IMAGE_RE = /^(?:[^/]+\/)*(mariadb|mysql)(:|@|$)/;

export interface MariadbInput {
  name: string;
  svc: Js;
  root: Js;
  image: string;
  /** The service's environment entries with their lines (compose.ts environmentOf). */
  env: { key: string; value: string | null; line: number }[];
  add: (id: RuleId, line: number, message: string) => void;
  at: (...keys: (string | number)[]) => number;
  svcLine: number;
  interp: (value: unknown) => { value: string };
}

const ENTRYPOINT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];
const DATA_DIR = '/var/lib/mysql';

/** The value of MARIADB_<suffix> or its MYSQL_<suffix> alias, with the name that set it. */
function setting(input: MariadbInput, suffix: string): { key: string; value: string; line: number } | undefined {
  for (const prefix of ['MARIADB_', 'MYSQL_']) {
    const e = input.env.find((x) => x.key === `${prefix}${suffix}`);
    if (e) return { key: e.key, value: e.value === null ? '' : input.interp(e.value).value, line: e.line };
  }
  return undefined;
}

function listedSecrets(svc: Js): string[] {
  return (Array.isArray(svc.secrets) ? svc.secrets : []).map((s) => (typeof s === 'string' ? s : String(asRecord(s)?.source ?? '')));
}

/** MD-02 for one password (the user's or root's): a literal, both forms, or a `_FILE` that is no secret. */
function checkPassword(input: MariadbInput, suffix: string): boolean {
  const literal = setting(input, suffix);
  const file = setting(input, `${suffix}_FILE`);
  if (literal && file) input.add('MD-02', literal.line, `both ${literal.key} and ${file.key} are set: the entrypoint refuses to start ("are exclusive")`);
  else if (literal) input.add('MD-02', literal.line, `\`${input.name}\` takes ${literal.key} from the environment, visible in \`docker inspect\``);
  if (!file) return literal !== undefined;
  const secret = /^\/run\/secrets\/([^/]+)$/.exec(file.value)?.[1];
  if (!secret) input.add('MD-02', file.line, `${file.key}=${file.value} is not a compose secret under /run/secrets/`);
  else if (!listedSecrets(input.svc).includes(secret)) input.add('MD-02', file.line, `${file.key} points at /run/secrets/${secret}, but \`${input.name}\` does not list the secret \`${secret}\``);
  else if (asRecord(asRecord(input.root.secrets)?.[secret])?.file === undefined) input.add('MD-02', file.line, `secret \`${secret}\` is not defined with \`file:\` at the top level`);
  return true;
}

function checkCredentials(input: MariadbInput): void {
  const truthy = (v: string) => v !== '' && !/^(0|no|false)$/i.test(v);
  // MD-03: an empty root password, allowed on purpose.
  const empty = setting(input, 'ALLOW_EMPTY_ROOT_PASSWORD') ?? setting(input, 'ALLOW_EMPTY_PASSWORD');
  if (empty && truthy(empty.value)) input.add('MD-03', empty.line, `${empty.key} gives root an empty password: anyone who reaches the port is root`);
  // MD-02: the app user's password and root's.
  if (setting(input, 'USER')) checkPassword(input, 'PASSWORD');
  const root = checkPassword(input, 'ROOT_PASSWORD');
  const random = setting(input, 'RANDOM_ROOT_PASSWORD');
  if (!root && !(random && truthy(random.value)) && !(empty && truthy(empty.value)) && input.svc.env_file === undefined) {
    input.add('MD-02', input.svcLine, `\`${input.name}\` sets no root password (ROOT_PASSWORD_FILE or RANDOM_ROOT_PASSWORD): the image refuses to initialise`);
  }
}

function checkVolume(input: MariadbInput): { targets: string[] } {
  const { svc, root, at, interp } = input;
  const volumes = (Array.isArray(svc.volumes) ? svc.volumes : []).map((v, i) => {
    const rec = asRecord(v);
    if (rec) return { source: String(rec.source ?? ''), target: String(rec.target ?? ''), line: at('volumes', i) };
    const parts = interp(v).value.split(':');
    return parts.length >= 2 ? { source: parts[0]!, target: parts[1]!, line: at('volumes', i) } : { source: '', target: parts[0]!, line: at('volumes', i) };
  });
  const data = volumes.find((v) => v.target.replace(/\/$/, '') === DATA_DIR);
  if (!data) input.add('MD-04', input.svcLine, `\`${input.name}\` has no volume at ${DATA_DIR}: the data is lost when the container is recreated`);
  else if (data.source === '') input.add('MD-04', data.line, `the data volume at ${DATA_DIR} is anonymous: \`docker compose down -v\` or a recreate loses it`);
  else if (!/^[./~]/.test(data.source) && !(data.source in (asRecord(root.volumes) ?? {}))) input.add('MD-04', data.line, `volume \`${data.source}\` is not declared under the top-level \`volumes:\``);
  return { targets: volumes.map((v) => v.target.replace(/\/$/, '')) };
}

/** MD-05: a healthcheck, and one that reaches the server over TCP. */
function checkHealth(input: MariadbInput): void {
  const health = asRecord(input.svc.healthcheck);
  if (!health || health.disable === true) {
    input.add('MD-05', health ? input.at('healthcheck') : input.svcLine, `\`${input.name}\` has no healthcheck: nothing can wait for \`service_healthy\``);
    return;
  }
  const test = health.test;
  const text = Array.isArray(test) ? test.map(String).join(' ') : typeof test === 'string' ? test : '';
  if (/healthcheck\.sh/.test(text)) {
    if (!/--connect\b/.test(text)) input.add('MD-05', input.at('healthcheck', 'test'), '`healthcheck.sh` without `--connect` may pass on the temporary server, which listens only on the socket');
    return;
  }
  if (!/\b(mariadb-admin|mysqladmin|mariadb|mysql)\b/.test(text)) return; // another probe: not judged
  const tcp = /--protocol[= ]["']?tcp\b/i.test(text) || /(-h|--host)[ =]?["']?(127\.0\.0\.1|::1|\$\$?\{?\w+)/.test(text);
  if (!tcp) input.add('MD-05', input.at('healthcheck', 'test'), 'the probe has no `--host=127.0.0.1` or `--protocol=tcp`: it talks to the unix socket, which the first-run temporary server also answers');
}

function checkHardening(input: MariadbInput, targets: string[]): void {
  const { svc, at, interp } = input;
  const caps = (v: unknown) => (Array.isArray(v) ? v.map((c) => String(c).toUpperCase().replace(/^CAP_/, '')) : []);
  const user = svc.user === undefined ? undefined : interp(svc.user).value.split(':')[0]!;
  if (caps(svc.cap_drop).includes('ALL') && (user === undefined || user === '0' || user === 'root')) {
    const added = new Set(caps(svc.cap_add));
    const missing = ENTRYPOINT_CAPS.filter((c) => !added.has(c));
    if (missing.length > 0) input.add('MD-07', at('cap_drop'), `\`cap_drop: [ALL]\` as root without \`cap_add\` ${missing.join(', ')}: the entrypoint cannot chown its data and switch to the mysql user (or run as \`user: "999:999"\`)`);
  }
  if (svc.read_only === true) {
    const tmpfs = (Array.isArray(svc.tmpfs) ? svc.tmpfs.map(String) : typeof svc.tmpfs === 'string' ? [svc.tmpfs] : []).map((t) => t.split(':')[0]!);
    if (![...tmpfs, ...targets].some((t) => t === '/run/mysqld' || t === '/var/run/mysqld')) {
      input.add('MD-07', at('read_only'), '`read_only: true` without a tmpfs at /run/mysqld: the server cannot create its socket and pid file');
    }
  }
}

export function auditMariadb(input: MariadbInput): void {
  // MD-01: a release series in the tag (11.4, 10.11, 8.4), not latest/lts/a distribution name.
  const tag = /:([^@/]+)(@|$)/.exec(input.image)?.[1];
  if (tag === undefined || !/^\d+(\.\d+)*([-.]|$)/.test(tag)) {
    input.add('MD-01', input.at('image'), `\`${input.image}\` names no release series${tag === undefined ? ' (no tag: latest)' : ''}`);
  }
  checkCredentials(input);
  const { targets } = checkVolume(input);
  checkHealth(input);
  // MD-06: InnoDB needs time to flush.
  const stop = input.svc.stop_grace_period === undefined ? undefined : seconds(input.interp(input.svc.stop_grace_period).value);
  if (stop === undefined || stop < 30) {
    input.add('MD-06', input.svc.stop_grace_period === undefined ? input.svcLine : input.at('stop_grace_period'), `\`${input.name}\` ${input.svc.stop_grace_period === undefined ? 'is killed 10 s after SIGTERM (the default)' : `gets only ${String(input.svc.stop_grace_period)} to shut down`}`);
  }
  checkHardening(input, targets);
}
