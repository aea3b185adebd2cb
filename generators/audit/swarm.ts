/**
 * Docker Swarm stack files (`stack.yml`, `docker-stack.yml`, `*.stack.yml`): what holds as in
 * compose is reported under the checklist's CP ids, what Swarm does differently under SW ids
 * (swarm-rules.ts). Values are judged as written, defaults of `${VAR:-default}` included:
 * `docker stack deploy` reads no .env.
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { finding, type RuleId } from './rules.js';
import type { Finding } from './types.js';
import { basename, imagePinProblem, interpolate, SECRET_NAME, SECRET_TOKEN } from './util.js';

/** Keys `docker stack deploy` drops (it warns for some, says nothing for others). */
const IGNORED_KEYS = ['build', 'depends_on', 'restart', 'security_opt', 'shm_size', 'tmpfs', 'container_name', 'devices', 'links', 'network_mode', 'cgroup_parent', 'userns_mode', 'external_links'];
const STATEFUL_IMAGE = /(^|\/)(postgres|postgis|mysql|mariadb|mongo|redis|valkey|elasticsearch|opensearch|rabbitmq)(:|@|$)/;

export function isStackFile(path: string): boolean {
  return /^((docker-)?stack([.-][\w.-]+)?|[\w.-]+\.stack)\.ya?ml$/.test(basename(path));
}

type Js = Record<string, any>;

export function auditStack(path: string, content: string): Finding[] {
  const findings: Finding[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, merge: true });
  const add = (id: RuleId, line: number, message: string) => findings.push(finding(id, path, line, message));
  if (doc.errors.length > 0) {
    add('PI-08', doc.errors[0]!.linePos?.[0]?.line ?? 1, `YAML error: ${doc.errors[0]!.message.split('\n')[0]}`);
    return findings;
  }
  /** Line of the deepest key of `keys` that exists. */
  const lineOf = (keys: (string | number)[]): number => {
    let node: unknown = doc.contents;
    let line = 1;
    for (const key of keys) {
      const item = isMap(node)
        ? node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key))
        : isSeq(node) && typeof key === 'number'
          ? node.items[key]
          : undefined;
      if (!item) break;
      const at = (isPair(item) ? (item.key as Node) : (item as Node)).range?.[0];
      if (at !== undefined) line = lineCounter.linePos(at).line;
      node = isPair(item) ? item.value : item;
    }
    return line;
  };
  const root = (doc.toJS() ?? {}) as Js;
  const literal = (value: unknown) => interpolate(String(value ?? ''), new Map()).value;
  if (!/^3(\.\d+)?$/.test(String(root.version ?? ''))) {
    add('SW-01', lineOf(['version']), `version ${JSON.stringify(root.version ?? null)}: docker stack deploy reads the legacy v3 format (version: "3.13")`);
  }
  for (const key of ['name', 'include']) if (root[key] !== undefined) add('SW-01', lineOf([key]), `top-level \`${key}\` is compose-only`);
  const volumes = new Set(Object.keys(root.volumes ?? {}));

  for (const [name, s] of Object.entries((root.services ?? {}) as Record<string, Js>)) {
    const at = (...keys: (string | number)[]) => lineOf(['services', name, ...keys]);
    const d = (s.deploy ?? {}) as Js;
    const job = String(d.mode ?? '').endsWith('-job');
    for (const key of IGNORED_KEYS) {
      if (s[key] !== undefined) add('SW-01', at(key), `${name}: \`${key}\` is ignored by docker stack deploy${key === 'security_opt' ? ' (no-new-privileges is not applied)' : ''}`);
    }
    if (s.privileged === true) add('CP-02', at('privileged'), `${name}: privileged`);
    if (!(s.cap_drop ?? []).includes('ALL')) add('CP-03', at('cap_drop'), `${name}: capabilities not dropped (cap_drop: [ALL])`);
    const mounts = (s.volumes ?? []) as unknown[];
    const tmp = mounts.some((m) => typeof m === 'object' && m !== null && (m as Js).type === 'tmpfs' && (m as Js).target === '/tmp');
    if (s.read_only !== true || !tmp) add('CP-06', at('read_only'), `${name}: ${s.read_only === true ? 'no /tmp tmpfs mount' : 'root filesystem writable (read_only: true)'}`);
    if (mounts.some((m) => JSON.stringify(m).includes('docker.sock'))) add('CP-16', at('volumes'), `${name}: mounts the Docker socket`);
    const limits = (d.resources?.limits ?? {}) as Js;
    if (limits.memory === undefined) add('CP-08', at('deploy', 'resources'), `${name}: no memory limit`);
    if (limits.cpus === undefined) add('CP-09', at('deploy', 'resources'), `${name}: no CPU limit`);
    if (limits.pids === undefined) add('CP-10', at('deploy', 'resources'), `${name}: no PID limit`);
    if (d.resources?.reservations === undefined) add('SW-07', at('deploy', 'resources'), `${name}: no reservations`);
    // A migration-like name, or a task that is not probed, publishes nothing and is not restarted after success.
    const unprobed = s.healthcheck?.disable === true && !s.ports && d.restart_policy?.condition !== undefined && d.restart_policy.condition !== 'any';
    const oneShot = /(^|[-_])(migrate|migrations?|init|setup)([-_]|$)/.test(name) || unprobed;
    if (!job && !oneShot && (s.healthcheck === undefined || s.healthcheck.disable === true)) add('CP-12', at('healthcheck'), `${name}: no health check: Swarm routes to a task as soon as it starts`);
    if (!s.logging?.options?.['max-size']) add('CP-21', at('logging'), `${name}: logs not rotated`);

    const image = literal(s.image);
    if (!s.image) add('SW-08', at(), `${name}: no image (build is ignored)`);
    else {
      const problem = imagePinProblem(image);
      if (problem) add('SW-08', at('image'), `${name}: ${problem}`);
    }
    for (const [key, value] of Object.entries((s.environment ?? {}) as Js)) {
      if (SECRET_NAME.test(key) && !/_FILE$/.test(key) && !SECRET_TOKEN.test(literal(value)) && literal(value) !== '') add('SW-05', at('environment', key), `${name}: ${key} is set in the stack file`);
    }

    const published = ((s.ports ?? []) as unknown[]).map((p) => (typeof p === 'string' ? literal(p) : p));
    published.forEach((p, i) => {
      if (typeof p === 'string' && p.split(':').length >= 3) add('SW-06', at('ports', i), `${name}: ${p}: Swarm cannot bind a host IP; it publishes on every interface of every node`);
    });
    const namedVolume = mounts.some((m) => (typeof m === 'string' ? volumes.has(m.split(':')[0]!) : volumes.has(String((m as Js)?.source ?? ''))));
    const stateful = namedVolume || STATEFUL_IMAGE.test(image);
    // A database or broker image must stay on the overlay; an app that keeps state is still the web service.
    if (STATEFUL_IMAGE.test(image) && published.length > 0) add('SW-06', at('ports'), `${name}: a stateful service published on every node`);
    if (stateful) {
      const one = (d.replicas ?? 1) === 1 && d.mode !== 'global';
      if (!one) add('SW-03', at('deploy', 'replicas'), `${name}: more than one task on a data volume`);
      if (!(d.placement?.constraints ?? []).length) add('SW-03', at('deploy', 'placement'), `${name}: not pinned to the node that holds its volume`);
      if (d.update_config?.order === 'start-first') add('SW-03', at('deploy', 'update_config', 'order'), `${name}: start-first runs two tasks on one data directory during an update`);
    } else if (!job && published.length > 0) {
      if ((d.replicas ?? 1) < 2) add('SW-02', at('deploy', 'replicas'), `${name}: one replica: an update or a crash interrupts service`);
      if (d.update_config?.order !== 'start-first' || d.update_config?.failure_action !== 'rollback') add('SW-02', at('deploy', 'update_config'), `${name}: updates are not start-first with rollback`);
    }
    const policy = d.restart_policy ?? {};
    if (!job && policy.condition !== 'none' && policy.max_attempts === undefined) add('SW-02', at('deploy', 'restart_policy'), `${name}: restarts are unbounded`);
    // Swarm stops an unhealthy task with SIGTERM; a clean shutdown exits 0, which on-failure never replaces.
    const probed = s.healthcheck !== undefined && s.healthcheck?.disable !== true;
    if (!job && probed && policy.condition === 'on-failure') add('SW-02', at('deploy', 'restart_policy', 'condition'), `${name}: on-failure never replaces a task stopped as unhealthy (it exits 0 after a clean shutdown): use condition: any`);
    if (oneShot && !job) add('SW-04', at('deploy'), `${name}: a one-shot task as a ${d.mode ?? 'replicated'} service`);
  }
  for (const [name, n] of Object.entries((root.networks ?? {}) as Record<string, Js | null>)) {
    if (/back|internal|db|data/.test(name) && n?.internal !== true && n?.external === undefined) add('SW-06', lineOf(['networks', name]), `network ${name} is not internal`);
  }
  return findings;
}
