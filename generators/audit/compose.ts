/**
 * docker-compose files: each service's settings through the rule groups (compose-service.ts,
 * compose-io.ts, compose-postgres.ts), then the file-wide checks. The file is read once
 * (source.ts) and shared with the other checkers.
 */
import { isMap, isScalar } from 'yaml';
import { DATA_IMAGE, environmentOf, type ComposeContext, type ServiceScope } from './compose-scope.js';
import { devices, environment, logging, logPaths, mounts, ports } from './compose-io.js';
import { postgres } from './compose-postgres.js';
import { auditMariadb, MARIADB_IMAGE_RE } from './mariadb.js';
import { health, healthTest, imagePin, isolation, limits, networks, processes } from './compose-service.js';
import { finding, type RuleId } from './rules.js';
import { readYaml, type YamlSource } from './source.js';
import type { Finding } from './types.js';
import { HOST_SHELL_VARIABLES, asRecord, basename, dirname, interpolate, type EnvValue } from './util.js';

export type { ComposeContext };

/** Every rule group, in the order their findings are reported for a service. */
/** MD-xx for a MariaDB/MySQL service (not in an override of it). */
function mariadb(s: ServiceScope): void {
  if (s.partial || !s.imageValue || !MARIADB_IMAGE_RE.test(s.imageValue.value)) return;
  auditMariadb({ name: s.name, svc: s.svc, root: s.root, image: s.imageValue.value, env: environmentOf(s.svc, s.at), add: s.add, at: s.at, svcLine: s.svcLine, interp: s.interp });
}

const SERVICE_RULES: ((s: ServiceScope) => void)[] = [imagePin, isolation, limits, health, processes, networks, healthTest, postgres, mariadb, logging, ports, mounts, devices, environment, logPaths];

/** `docker-compose.yml`, `compose.yaml` and friends are base files; `docker-compose.gpu.yml` etc. are overrides. */
export function isBaseComposeFile(path: string): boolean {
  return /^(docker-)?compose\.ya?ml$/.test(basename(path));
}

/** Service names defined in a compose file (used to know what an override file adds). */
export function composeServiceNames(source: YamlSource): string[] {
  const services = source.doc.get('services');
  return isMap(services) ? services.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)) : [];
}

/** Services another waits for with `condition: service_completed_successfully` (one-shot jobs). */
function completedDependencies(services: Record<string, unknown>): Set<string> {
  const completed = new Set<string>();
  for (const svc of Object.values(services)) {
    const deps = asRecord(asRecord(svc)?.depends_on);
    for (const [name, spec] of Object.entries(deps ?? {})) {
      if (asRecord(spec)?.condition === 'service_completed_successfully') completed.add(name);
    }
  }
  return completed;
}

/** CP-20: variables with neither a default nor `:?`. */
function unguardedVariables(content: string, findings: Finding[], add: (line: number, message: string) => void): void {
  content.split(/\r?\n/).forEach((text, i) => {
    if (/^\s*#/.test(text)) return;
    const re = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const name = m[1] ?? m[2];
      if (name && !HOST_SHELL_VARIABLES.has(name) && !findings.some((f) => f.ruleId === 'CP-20' && f.line === i + 1)) add(i + 1, `\`${m[0]}\` has no default and no \`:?\`: when it is unset compose substitutes an empty string and starts anyway`);
    }
  });
}

export function auditCompose(path: string, content: string, ctx: ComposeContext, source: YamlSource = readYaml(path, content)): Finding[] {
  const findings: Finding[] = [];
  const add = (id: RuleId, line: number, message: string, extra?: Parameters<typeof finding>[4]) => findings.push(finding(id, path, line, message, extra));
  if (source.errors.length > 0) {
    for (const error of source.errors) add('PI-08', error.line, `YAML error: ${error.message}`);
    return findings;
  }
  const root = source.value;
  const interp = (value: unknown) => interpolate(String(value ?? ''), ctx.dotenv);
  const committedOnly = new Map<string, EnvValue>();
  /** The value written in the compose file itself (defaults only, no .env). */
  const literal = (value: unknown) => interpolate(String(value ?? ''), committedOnly);

  if ('version' in root) add('CP-01', source.keyLine(['version']), `top-level \`version: ${String(root.version)}\` is obsolete`);

  const services = asRecord(root.services) ?? {};
  const completedDeps = completedDependencies(services);
  const composeDir = dirname(path);
  for (const [name, rawSvc] of Object.entries(services)) {
    const svc = asRecord(rawSvc) ?? {};
    const at = (...keys: (string | number)[]) => source.keyLine(['services', name, ...keys]);
    const imageValue = svc.image === undefined ? undefined : interp(svc.image);
    const scope: ServiceScope = {
      name,
      svc,
      root,
      services,
      at,
      svcLine: at(),
      partial: ctx.isOverride && ctx.baseServices.has(name),
      built: svc.build !== undefined,
      isData: imageValue !== undefined && DATA_IMAGE.test(imageValue.value),
      imageValue,
      interp,
      literal,
      add,
      ctx,
      composeDir,
      completedDeps,
    };
    for (const rules of SERVICE_RULES) rules(scope);
  }
  unguardedVariables(content, findings, (line, message) => add('CP-20', line, message));
  return findings;
}
