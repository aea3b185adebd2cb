/**
 * deploy/swarm/stack.yml: the Swarm stack file, computed from the same model as docker-compose.yml
 * (`composeObject`) as a data transformation, never by patching compose text. `docker stack deploy`
 * reads the legacy v3 format (checked against docker-stack-v3.13.json), so every service is
 * converted generically: keys v3 has are kept, keys it lacks are converted (restart, tmpfs,
 * shm_size, depends_on) or dropped with a comment saying what Swarm does not enforce. What differs
 * by role (rolling app and worker, single-node stateful services, the migration job) is a small
 * policy table keyed by service name (each service module's role); services the table does not know
 * are classified by shape. It projects the stack model (generators/stack) through its compose form.
 */
import { Document } from 'yaml';
import { modelOf } from '../stack/model.js';
import { knownRoles } from '../stack/modules/index.js';
import { isNamedVolume, roleOf as classify } from '../stack/roles.js';
import type { ComposeService, Role, StackModel } from '../stack/types.js';
import { composeObject, composeVariables, commentKey } from './compose.js';
import { GRACEFUL_SECONDS, type StackView } from './view.js';

export const STACK_FILE = 'deploy/swarm/stack.yml';
/** From the stack file's directory back to the project, for paths compose writes relative to it. */
const TO_PROJECT = '../..';
/** `version:` of the stack file: the newest legacy format `docker stack deploy` reads. */
export const STACK_FORMAT = '3.13';

type Service = ComposeService;

/** Role by service name (each module's); anything else: stateful when it mounts a named volume, else rolling. */
const ROLES: Record<string, Role> = knownRoles();
/** Replicas of the rolling services: two apps so one always answers during an update. */
const REPLICAS: Record<string, number> = { app: 2 };

/**
 * Service keys `docker stack deploy` applies (and the v3.13 schema allows). Everything else in
 * the compose model is converted below or dropped: `build` (Swarm only runs images),
 * `security_opt` and `shm_size` (the CLI ignores them with a warning), `restart` and
 * `depends_on` (no v3 equivalent in Swarm), `tmpfs` (silently ignored: converted to mounts).
 */
const KEPT_KEYS = new Set([
  'image', 'command', 'entrypoint', 'environment', 'secrets', 'volumes', 'healthcheck', 'init', 'read_only', 'cap_add',
  'cap_drop', 'ulimits', 'user', 'working_dir', 'stop_grace_period', 'stop_signal', 'logging', 'networks', 'ports',
  'labels', 'sysctls', 'hostname', 'configs',
]);

function roleOf(name: string, service: Service): Role {
  return classify(name, service, ROLES);
}

/** Splits on ':' outside `${...}`, so `${APP_PORT:-8000}:8000` has two parts. */
export function splitColons(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '$' && text[i + 1] === '{') depth++;
    if (ch === '}' && depth > 0) depth--;
    if (ch === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  return [...parts, current];
}

const UNIT: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "64m" -> bytes; undefined for what is not a size. */
export function sizeBytes(text: string): number | undefined {
  const match = /^(\d+)\s*([bkmg])?b?$/i.exec(text.trim());
  return match ? Number(match[1]) * UNIT[(match[2] ?? 'b').toLowerCase()]! : undefined;
}

/** Compose's short tmpfs entry ("/tmp:size=64m,mode=1777") as a v3 mount (size only: 1777 is tmpfs's default mode). */
function tmpfsMount(entry: string): Record<string, unknown> {
  const [target, options = ''] = entry.split(/:(.*)/s) as [string, string?];
  const size = options
    .split(',')
    .map((o) => o.split('='))
    .find(([k]) => k === 'size')?.[1];
  const bytes = size === undefined ? undefined : sizeBytes(size);
  return { type: 'tmpfs', target, ...(bytes ? { tmpfs: { size: bytes } } : {}) };
}

/**
 * compose's restart as a Swarm restart policy; a window so old failures stop counting.
 * A long-running service restarts on `any` exit, even where compose says on-failure: Swarm stops a
 * task that fails its health check with SIGTERM, a server that shuts down cleanly then exits 0, and
 * `on-failure` would never replace it (an app still waiting for the migration job stayed at 0 replicas).
 */
function restartPolicy(restart: unknown, role: Role): Record<string, unknown> {
  if (role === 'job') {
    // No depends_on in Swarm: the job starts with the database and retries until it is up.
    return { condition: 'on-failure', delay: '10s', max_attempts: 10 };
  }
  const [mode, attempts] = String(restart ?? 'on-failure').split(':');
  const condition = mode === 'no' ? 'none' : 'any';
  // Swarm counts only attempts inside the window, so a crash loop pauses while a service that once
  // crashed is not given up.
  if (condition === 'none') return { condition };
  return { condition, delay: '5s', max_attempts: attempts ? Number(attempts) : 5, window: '120s' };
}

function quarter(value: string): string | undefined {
  const bytes = sizeBytes(value);
  if (bytes !== undefined) return `${Math.max(16, Math.floor(bytes / 4 / 1024 ** 2))}m`;
  const cpus = Number(value);
  return Number.isFinite(cpus) ? String(Math.max(0.05, Math.round((cpus / 4) * 100) / 100)) : undefined;
}

/** Limits as compose has them, plus reservations (a quarter) so the scheduler places tasks where they fit. */
function resources(deploy: unknown): Record<string, unknown> | undefined {
  const limits = (deploy as { resources?: { limits?: Record<string, string | number> } } | undefined)?.resources?.limits;
  if (!limits) return undefined;
  const reservations: Record<string, string> = {};
  for (const key of ['cpus', 'memory'] as const) {
    const value = limits[key] === undefined ? undefined : quarter(String(limits[key]));
    if (value) reservations[key] = value;
  }
  return { limits, ...(Object.keys(reservations).length > 0 ? { reservations } : {}) };
}

const UPDATE = { parallelism: 1, delay: '5s', order: 'start-first', failure_action: 'rollback', monitor: '30s' };
const ROLLBACK = { parallelism: 1, order: 'start-first', failure_action: 'pause', monitor: '30s' };

/**
 * Services built from our image share the app's writable state: they all go where the app's volumes
 * are. A job that prepares a stateful service's volume (proxy-init for the proxy's) goes with it.
 */
function pinnedTo(name: string, volumeHomes: ReadonlyMap<string, string> = new Map(), service?: Service): string {
  if (ROLES[name] === 'job' && service && Array.isArray(service.volumes)) {
    const home = service.volumes.filter(isNamedVolume).map((v) => volumeHomes.get(String(v).split(':')[0]!)).find(Boolean);
    if (home) return home;
  }
  return ROLES[name] === 'rolling' || ROLES[name] === 'job' ? 'app' : name;
}

/** Named volume -> the stateful service that mounts it (where it lives). */
function volumeHomesOf(services: Record<string, Service>): Map<string, string> {
  const homes = new Map<string, string>();
  for (const [name, service] of Object.entries(services)) {
    if (roleOf(name, service) !== 'stateful' || !Array.isArray(service.volumes)) continue;
    for (const v of service.volumes.filter(isNamedVolume)) homes.set(String(v).split(':')[0]!, name);
  }
  return homes;
}

/** The node label that pins a stateful service (and its volume) to one node. */
export function nodeLabel(view: StackView, service: string): string {
  return `${view.name}.${service}`;
}

function deployFor(name: string, service: Service, role: Role, view: StackView, volumeHomes: ReadonlyMap<string, string>): Record<string, unknown> {
  const ports = Array.isArray(service.ports) && service.ports.length > 0;
  const common = {
    // Services nobody reaches through a published port resolve by DNS round robin: no virtual IP,
    // so they need no IPVS load balancer on the node (single replicas have nothing to balance).
    ...(ports ? {} : { endpoint_mode: 'dnsrr' }),
    ...(resources(service.deploy) ? { resources: resources(service.deploy) } : {}),
    restart_policy: restartPolicy(service.restart, role),
  };
  const placement = { constraints: [`node.labels.${nodeLabel(view, pinnedTo(name, volumeHomes, service))} == true`] };
  const volumes = Array.isArray(service.volumes) && service.volumes.some(isNamedVolume);
  if (role === 'job') return { mode: 'replicated-job', ...common, ...(volumes ? { placement } : {}) };
  if (role === 'stateful') {
    return {
      replicas: 1,
      ...common,
      // Never two copies on one data directory: the old task stops before the new one starts.
      update_config: { parallelism: 1, order: 'stop-first', failure_action: 'rollback' },
      placement,
    };
  }
  return { replicas: REPLICAS[name] ?? 1, ...common, update_config: UPDATE, rollback_config: ROLLBACK };
}

/** `${X:?message}` needs the variable; on Swarm a documented default from .env.example stands in. */
function withDefaults(value: unknown, defaults: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]*\}/g, (whole, key: string) =>
      defaults.has(key) ? `\${${key}:-${defaults.get(key)}}` : whole,
    );
  }
  if (Array.isArray(value)) return value.map((v) => withDefaults(v, defaults));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDefaults(v, defaults)]));
  }
  return value;
}

/** The host-IP part of a short port ("IP:PUBLISHED:TARGET") goes: Swarm publishes on every interface. */
function swarmPort(port: unknown): unknown {
  if (typeof port !== 'string') return port;
  const parts = splitColons(port);
  return parts.length === 3 ? parts.slice(1).join(':') : port;
}

function imageName(view: StackView, service: Service): unknown {
  if (!service.build || typeof service.image !== 'string') return service.image;
  const registry = view.answers.registry;
  return registry ? `${registry}/${service.image}` : service.image;
}

function convertService(name: string, service: Service, view: StackView, volumeHomes: ReadonlyMap<string, string>): Service {
  const role = roleOf(name, service);
  const out: Service = {};
  for (const [key, value] of Object.entries(service)) {
    if (KEPT_KEYS.has(key)) out[key] = value;
  }
  out.image = imageName(view, service);
  if (Array.isArray(out.ports)) out.ports = out.ports.map(swarmPort);
  // A bind mount of a project file (the proxy's config) is read from the stack file's directory.
  const mounts: unknown[] = Array.isArray(service.volumes) ? service.volumes.map((v) => (typeof v === 'string' && v.startsWith('./') ? `${TO_PROJECT}/${v.slice(2)}` : v)) : [];
  if (Array.isArray(service.tmpfs)) mounts.push(...service.tmpfs.map((t) => tmpfsMount(String(t))));
  const shm = typeof service.shm_size === 'string' ? sizeBytes(service.shm_size) : undefined;
  if (shm) mounts.push({ type: 'tmpfs', target: '/dev/shm', tmpfs: { size: shm } });
  if (mounts.length > 0) out.volumes = mounts;
  if (role === 'job') {
    // A new value per deploy (scripts/deploy-swarm.sh sets it) changes the job's spec, so the
    // migration runs again on every deploy, not only when the image changes.
    const env = (out.environment ?? {}) as Record<string, unknown>;
    out.environment = { ...env, DEPLOY_ID: '${DEPLOY_ID:-manual}' };
  }
  out.deploy = deployFor(name, service, role, view, volumeHomes);
  return out;
}

function relocateSecret(secret: unknown): unknown {
  const file = (secret as { file?: unknown } | null)?.file;
  if (typeof file !== 'string' || file.startsWith('/')) return secret;
  return { ...(secret as object), file: `${TO_PROJECT}/${file.replace(/^\.\//, '')}` };
}

const projected = new WeakMap<StackModel, Record<string, unknown>>();

/** The stack model as a Swarm stack (projected once per model). */
export function stackObject(view: StackView): Record<string, unknown> {
  const model = modelOf(view);
  const cached = projected.get(model);
  if (cached) return cached;
  const stack = stackFromCompose(composeObject(model), model);
  projected.set(model, stack);
  return stack;
}

/** The transformation itself, for any compose model (tests feed it services the generator does not make yet). */
export function stackFromCompose(compose: Record<string, unknown>, view: StackView): Record<string, unknown> {
  const defaults = new Map(composeVariables(view).map((v) => [v.name, v.value]));
  const all = compose.services as Record<string, Service>;
  const homes = volumeHomesOf(all);
  const services = Object.fromEntries(Object.entries(all).map(([name, s]) => [name, convertService(name, s, view, homes)]));
  const stack: Record<string, unknown> = { version: STACK_FORMAT, services: withDefaults(services, defaults) };
  const networks = compose.networks as Record<string, Record<string, unknown>> | undefined;
  if (networks) {
    stack.networks = Object.fromEntries(Object.entries(networks).map(([name, n]) => [name, { driver: 'overlay', ...n }]));
  }
  if (compose.volumes) stack.volumes = compose.volumes;
  const secrets = compose.secrets as Record<string, unknown> | undefined;
  if (secrets) stack.secrets = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, relocateSecret(v)]));
  return stack;
}

/** The names stackObject gives each role, for scripts, smoke and audit. */
export function stackRoles(view: StackView): Record<string, Role> {
  return modelOf(view).roles;
}

export function stackYaml(view: StackView): string {
  view = modelOf(view);
  const stack = stackObject(view);
  const doc = new Document(stack, { compat: 'yaml-1.1', aliasDuplicateObjects: false });
  const roles = stackRoles(view);
  doc.commentBefore =
    ` Docker Swarm stack, generated by create-pyimage ${view.version} from the same model as\n` +
    ' docker-compose.yml: see README.Docker.md. Deploy with scripts/deploy-swarm.sh (builds, exports\n' +
    ' .env - `docker stack deploy` does not read it - deploys, waits for health). Stack files use the\n' +
    ' legacy v3 format; the differences from docker-compose.yml:\n' +
    ' - no security_opt: Swarm ignores it, so no-new-privileges is not set (cap_drop: [ALL] still is);\n' +
    ' - no depends_on: services start together; the app is only routed to once healthy and the\n' +
    '   migration job retries until the database answers;\n' +
    ' - the port is published on every node and interface (routing mesh), not on 127.0.0.1:\n' +
    '   firewall it or put a proxy in front;\n' +
    ' - /tmp and /dev/shm are tmpfs mounts (the tmpfs and shm_size keys are ignored by Swarm).' +
    (view.gpu !== 'none' ? '\n GPU access (docker-compose.gpu.yml) is not part of the stack: Swarm offers devices as node generic resources.' : '');
  const comment = (path: string[], text: string) => commentKey(doc, path, text);
  for (const [name, role] of Object.entries(roles)) {
    if (role === 'stateful') {
      comment(
        ['services', name, 'deploy', 'placement'],
        `Its volume lives on one node: label that node once (scripts/deploy-swarm.sh does it on a\n first deploy): docker node update --label-add ${nodeLabel(view, name)}=true NODE`,
      );
    }
    if (role === 'job') {
      comment(
        ['services', name, 'deploy', 'mode'],
        'Runs to completion once per deploy (engine 20.10+, API 1.41). Older engines reject it: use\n' +
          ' `replicas: 1` with `restart_policy.condition: on-failure` there; the task then exits 0 and stays\n' +
          ' complete, but runs again only when its spec changes.',
      );
    }
  }
  if (roles.app) {
    comment(
      ['services', 'app', 'deploy', 'restart_policy'],
      'any, not on-failure: a task stopped for failing its health check exits 0 after a clean\n shutdown, and on-failure would never replace it.',
    );
    comment(['services', 'app', 'deploy', 'update_config'], 'Rolling update: the new task must be healthy before an old one stops; a failed update rolls back.');
    comment(['services', 'app', 'stop_grace_period'], `Longer than the server's own graceful timeout (${GRACEFUL_SECONDS}s), so requests finish on stop.`);
  }
  if (view.answers.registry) {
    comment(['services', 'app', 'image'], 'Every node pulls it from the registry: scripts/push.sh tags and pushes it first.');
  }
  if ((stack.networks as Record<string, unknown> | undefined)?.backend) comment(['networks', 'backend'], 'internal: no route out; an overlay so it spans nodes.');
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

/** What scripts/deploy-swarm.sh and push.sh need from the stack: secret files, node labels, the job. */
export function swarmScriptView(view: StackView) {
  view = modelOf(view);
  const stack = stackObject(view);
  const secrets = (stack.secrets ?? {}) as Record<string, { file?: string }>;
  const roles = stackRoles(view);
  return {
    registry: view.answers.registry,
    secretFiles: Object.values(secrets)
      .map((s) => s.file)
      .filter((f): f is string => typeof f === 'string' && f.startsWith(`${TO_PROJECT}/`))
      .map((f) => f.slice(TO_PROJECT.length + 1)),
    nodeLabels: [...new Set(Object.entries(roles)
      .filter(([, role]) => role === 'stateful')
      .map(([name]) => nodeLabel(view, pinnedTo(name))))],
    hasJob: Object.values(roles).includes('job'),
  };
}
