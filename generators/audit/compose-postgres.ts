/** PG-xx: the rules for a Postgres-based compose service (the official image's entrypoint and data layout). */
import { capabilities, environmentOf, type ServiceScope } from './compose-scope.js';
import { seconds } from './program.js';
import { asRecord } from './util.js';

const PG_IMAGE = /^(?:[^/]+\/)*(postgres|postgis|timescaledb(-ha)?)(:|@|$)/;
const PG_ENTRYPOINT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];

/** Bytes of a compose size (`128mb`, `1g`, 134217728). */
function bytes(value: unknown): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(String(value ?? '').trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

/** PG-01/02/04/05/07/08/09 for a Postgres-based service. */
function auditPostgres(s: ServiceScope, image: string): void {
  const { name, svc, root, add, at, svcLine, interp } = s;
  // PG-01: a major version in the tag.
  const tag = /:([^@/]+)(@|$)/.exec(image)?.[1];
  const major = tag === undefined ? undefined : Number.parseInt(/^(\d+)/.exec(tag)?.[1] ?? /pg(\d+)/.exec(tag)?.[1] ?? '', 10);
  if (tag !== undefined && tag !== 'latest' && (major === undefined || Number.isNaN(major))) add('PG-01', at('image'), `\`${image}\` names no Postgres major version`);

  // PG-02: password from a secret file.
  const entries = environmentOf(svc, at);
  const env = new Map(entries.map((e) => [e.key, e.value]));
  const envLine = (key: string) => entries.find((e) => e.key === key)?.line ?? svcLine;
  const hasFileEnv = svc.env_file !== undefined;
  const password = env.has('POSTGRES_PASSWORD');
  const file = env.get('POSTGRES_PASSWORD_FILE');
  if (password && file !== undefined) add('PG-02', envLine('POSTGRES_PASSWORD'), 'both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set: the entrypoint refuses to start ("are exclusive")');
  else if (password) add('PG-02', envLine('POSTGRES_PASSWORD'), `\`${name}\` takes its password from the environment, visible in \`docker inspect\``);
  else if (file === undefined || file === null) {
    const trust = interp(env.get('POSTGRES_HOST_AUTH_METHOD') ?? '').value.toLowerCase() === 'trust';
    if (!hasFileEnv && !trust) add('PG-02', svcLine, `\`${name}\` sets neither POSTGRES_PASSWORD_FILE nor POSTGRES_PASSWORD: the image refuses to initialise`);
  } else {
    const value = interp(file).value;
    const secretName = /^\/run\/secrets\/([^/]+)$/.exec(value)?.[1];
    const listed = (Array.isArray(svc.secrets) ? svc.secrets : []).map((s) => (typeof s === 'string' ? s : String(asRecord(s)?.source ?? '')));
    if (!secretName) add('PG-02', envLine('POSTGRES_PASSWORD_FILE'), `POSTGRES_PASSWORD_FILE=${value} is not a compose secret under /run/secrets/`);
    else if (!listed.includes(secretName)) add('PG-02', envLine('POSTGRES_PASSWORD_FILE'), `POSTGRES_PASSWORD_FILE points at /run/secrets/${secretName}, but \`${name}\` does not list the secret \`${secretName}\``);
    else if (asRecord(asRecord(root.secrets)?.[secretName])?.file === undefined) add('PG-02', envLine('POSTGRES_PASSWORD_FILE'), `secret \`${secretName}\` is not defined with \`file:\` at the top level`);
  }

  // PG-04: a named volume at the version's data path.
  const pgdata = env.get('PGDATA');
  const wanted = pgdata ? interp(pgdata).value : major === undefined || Number.isNaN(major) ? undefined : major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
  const volumes = (Array.isArray(svc.volumes) ? svc.volumes : []).map((v, i) => {
    const rec = asRecord(v);
    if (rec) return { source: String(rec.source ?? ''), target: String(rec.target ?? ''), line: at('volumes', i) };
    const parts = interp(v).value.split(':');
    return parts.length >= 2 ? { source: parts[0]!, target: parts[1]!, line: at('volumes', i) } : { source: '', target: parts[0]!, line: at('volumes', i) };
  });
  const dataPaths = wanted ? [wanted] : ['/var/lib/postgresql', '/var/lib/postgresql/data'];
  const covering = volumes.find((v) => dataPaths.some((p) => v.target.replace(/\/$/, '') === p || (pgdata !== undefined && p.startsWith(`${v.target.replace(/\/$/, '')}/`))));
  if (!covering) {
    const near = volumes.find((v) => v.target.startsWith('/var/lib/postgresql'));
    add('PG-04', near ? near.line : svcLine, near
      ? `Postgres ${major ?? ''} keeps its data in ${wanted}, not ${near.target}: the data lands in an anonymous volume`.replace('  ', ' ')
      : `\`${name}\` has no volume at ${dataPaths.join(' or ')}: the data is lost when the container is recreated`);
  } else if (covering.source === '') {
    add('PG-04', covering.line, `the data volume at ${covering.target} is anonymous: \`docker compose down -v\` or a recreate loses it`);
  } else if (!/^[./~]/.test(covering.source) && !(covering.source in (asRecord(root.volumes) ?? {}))) {
    add('PG-04', covering.line, `volume \`${covering.source}\` is not declared under the top-level \`volumes:\``);
  }

  // PG-05: healthcheck over TCP.
  const test = asRecord(svc.healthcheck)?.test;
  const testText = Array.isArray(test) ? test.map(String).join(' ') : typeof test === 'string' ? test : '';
  if (/pg_isready/.test(testText) && !/(-h|--host)[ =]?["']?(127\.0\.0\.1|localhost|::1)\b/.test(testText)) {
    add('PG-05', at('healthcheck', 'test'), '`pg_isready` without `-h 127.0.0.1` probes the unix socket, which the first-run temporary server also answers');
  }

  // PG-07, PG-08.
  const shm = bytes(svc.shm_size);
  if (shm === undefined || shm < 128 * 1024 ** 2) add('PG-07', svc.shm_size === undefined ? svcLine : at('shm_size'), `\`${name}\` ${svc.shm_size === undefined ? 'keeps the 64 MB /dev/shm default' : `has shm_size ${String(svc.shm_size)} (< 128mb)`}`);
  const stop = svc.stop_grace_period === undefined ? undefined : seconds(interp(svc.stop_grace_period).value);
  if (stop === undefined || stop < 30) add('PG-08', svc.stop_grace_period === undefined ? svcLine : at('stop_grace_period'), `\`${name}\` ${svc.stop_grace_period === undefined ? 'is killed 10 s after SIGTERM (the default)' : `gets only ${String(svc.stop_grace_period)} to shut down`}`);

  // PG-09: hardening that the entrypoint survives.
  const capDrop = capabilities(svc.cap_drop);
  const capAdd = new Set(capabilities(svc.cap_add));
  const user = svc.user === undefined ? undefined : interp(svc.user).value.split(':')[0]!;
  if (capDrop.includes('ALL') && (user === undefined || user === '0' || user === 'root')) {
    const missing = PG_ENTRYPOINT_CAPS.filter((c) => !capAdd.has(c));
    if (missing.length > 0) add('PG-09', at('cap_drop'), `\`cap_drop: [ALL]\` without \`cap_add\` ${missing.join(', ')}: the root entrypoint cannot chown its data and switch to the postgres user`);
  }
  if (svc.read_only === true) {
    const tmpfs = (Array.isArray(svc.tmpfs) ? svc.tmpfs.map(String) : typeof svc.tmpfs === 'string' ? [svc.tmpfs] : []).map((t) => t.split(':')[0]);
    const mounted = [...tmpfs, ...volumes.map((v) => v.target)];
    if (!mounted.some((t) => t === '/var/run/postgresql' || t === '/run/postgresql')) add('PG-09', at('read_only'), '`read_only: true` without a tmpfs at /var/run/postgresql: the server cannot create its socket and lock file');
  }
}

/** The Postgres rules, for a service whose image is Postgres (not in an override of it). */
export function postgres(s: ServiceScope): void {
  if (!s.partial && s.imageValue && PG_IMAGE.test(s.imageValue.value)) auditPostgres(s, s.imageValue.value);
}
