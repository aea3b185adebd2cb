/**
 * docker-compose.yml (and the GPU override) built as data and serialised with `yaml`, so no user
 * string is ever pasted into YAML text. Comments are attached through the Document API.
 */
import { Document, isMap, isScalar, YAMLMap } from 'yaml';
import type { Answers } from '../answers/types.js';
import { gpuServiceList } from '../answers/schema.js';
import { APP_HEALTH, GRACEFUL_SECONDS, START_INTERVAL, START_INTERVAL_REF, STOP_GRACE_SECONDS, postgresDataPath, type StackView } from './view.js';
import { appSecrets, dbName, DB_HOST, DB_PORT, DB_SECRET, REDIS_SECRET, resolveAppEnv } from './app-env.js';

/** The Redis image when REDIS_IMAGE does not name a mirror: pinned to a minor, like Postgres to a major. */
export const REDIS_IMAGE = 'redis:7.4-bookworm';

/** Variables the compose files interpolate, with the safe default .env.example documents. */
export interface ComposeVariable {
  name: string;
  value: string;
  comment: string;
}

export function composeVariables(view: StackView): ComposeVariable[] {
  const a = view.answers;
  const vars: ComposeVariable[] = [
    { name: 'APP_VERSION', value: '0.1.0', comment: 'Tag of the image compose builds.' },
    { name: 'APP_BIND_IP', value: '127.0.0.1', comment: 'Host interface for the published port: loopback only by default; put a reverse proxy in front before exposing it.' },
    { name: 'APP_PORT', value: String(view.port), comment: 'Host port for the app.' },
    { name: 'WEB_CONCURRENCY', value: '2', comment: `Worker processes ${view.server} starts.` },
    { name: 'PYTHON_IMAGE', value: view.baseImage, comment: 'Base image; point it at a mirror or pin a digest (name:tag@sha256:...).' },
    { name: 'PIP_INDEX_URL', value: '', comment: 'Package index for the build (a mirror); empty = the default index. Used only in the build stage.' },
    { name: 'PIP_FIND_LINKS', value: '', comment: 'Extra wheel directory or URL for the build; empty = none.' },
    { name: 'BUILD_NETWORK', value: 'default', comment: 'Network for the build: "host" reaches an index on this machine\'s loopback.' },
    { name: START_INTERVAL.variable, value: START_INTERVAL.value, comment: `Health probes every ${START_INTERVAL.value} until the first pass. Docker Engine before 25 and Podman refuse the key: scripts/ and smoke remove it there.` },
  ];
  if (a.postgres) {
    vars.push({ name: 'POSTGRES_IMAGE', value: view.postgresImage, comment: `Postgres image, pinned to major ${a.postgresVersion}: the data directory layout depends on it.` });
  }
  if (a.redis) {
    vars.push({ name: 'REDIS_IMAGE', value: REDIS_IMAGE, comment: 'Redis image; point it at a mirror or pin a digest. The password lives in secrets/redis_password.' });
  }
  if (view.serverPackages.length > 0) {
    vars.push({ name: 'SERVER_PACKAGES', value: view.serverPackages.join(' '), comment: `The server the image installs because the project's dependencies lack it; pin another version here.` });
  }
  if (a.gpu === 'render') {
    vars.push({ name: 'RENDER_GID', value: '', comment: 'Numeric GID of the host\'s render group (getent group render); scripts/up.sh fills it in. Only docker-compose.gpu.yml uses it.' });
  }
  return vars;
}

const LOGGING = { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } };
const SECURITY_OPT = ['no-new-privileges:true'];

function limits(cpus: string, memory: string, pids: number) {
  return { resources: { limits: { cpus, memory, pids } } };
}

function duration(seconds: number): string {
  return `${seconds}s`;
}

/** Settings every service built from our image shares: hardening, limits, logs, restarts, state. */
function appLike(view: StackView, a: Answers) {
  const state = view.stateDirs.length > 0 ? { volumes: view.stateDirs.map((d) => `${d.volume}:${d.path}`) } : {};
  return {
    build: {
      context: '.',
      target: 'runtime',
      args: {
        PYTHON_IMAGE: `\${PYTHON_IMAGE:-${view.baseImage}}`,
        PIP_INDEX_URL: '${PIP_INDEX_URL:-}',
        PIP_FIND_LINKS: '${PIP_FIND_LINKS:-}',
        ...(view.serverPackages.length > 0 ? { SERVER_PACKAGES: `\${SERVER_PACKAGES:-${view.serverPackages.join(' ')}}` } : {}),
      },
      network: '${BUILD_NETWORK:-default}',
    },
    image: `${a.name}:\${APP_VERSION:-0.1.0}`,
    init: true,
    read_only: true,
    tmpfs: ['/tmp:size=64m,mode=1777'],
    ...state,
    cap_drop: ['ALL'],
    security_opt: SECURITY_OPT,
  };
}

/** What app, worker and migrate read: the database's facts (the password as a file) and the --env settings. */
function appEnvironment(a: Answers): Record<string, string> {
  const env: Record<string, string> = {};
  if (a.postgres) {
    Object.assign(env, {
      POSTGRES_HOST: DB_HOST,
      POSTGRES_PORT: String(DB_PORT),
      POSTGRES_DB: dbName(a),
      POSTGRES_USER: dbName(a),
      POSTGRES_PASSWORD_FILE: `/run/secrets/${DB_SECRET}`,
    });
  }
  for (const setting of resolveAppEnv(a)) env[setting.name] = setting.value;
  return env;
}

/**
 * Long-running services come back after a reboot or an engine restart (CP-11): gunicorn, uvicorn
 * and Postgres exit 0 on the engine's SIGTERM, which `on-failure` never restarts. A crash loop is
 * paced by the engine's back-off (doubling up to a minute), not ended.
 */
export const RESTART = 'unless-stopped';

export function composeObject(view: StackView): Record<string, unknown> {
  const a = view.answers;
  const services: Record<string, unknown> = {};
  const runsAfter: Record<string, unknown> = {};
  if (a.postgres) runsAfter.db = { condition: 'service_healthy' };
  if (a.redis) runsAfter.redis = { condition: 'service_healthy' };
  if (view.migrateCommand) runsAfter.migrate = { condition: 'service_completed_successfully' };
  const dependsOn = Object.keys(runsAfter).length > 0 ? { depends_on: runsAfter } : {};
  const dbEnv = appEnvironment(a);
  const secretNames = appSecrets(a);
  const dbSecrets = secretNames.length > 0 ? { secrets: secretNames } : {};
  const flaskApp = a.framework === 'flask' || a.framework === 'wsgi' ? { FLASK_APP: a.appModule } : {};

  services.app = {
    ...appLike(view, a),
    ports: [`\${APP_BIND_IP:-127.0.0.1}:\${APP_PORT:-${view.port}}:${view.port}`],
    environment: { WEB_CONCURRENCY: '${WEB_CONCURRENCY:-2}', ...dbEnv },
    ...dbSecrets,
    ...dependsOn,
    healthcheck: {
      test: ['CMD', ...view.healthcheck],
      interval: APP_HEALTH.interval,
      timeout: APP_HEALTH.timeout,
      retries: APP_HEALTH.retries,
      start_period: APP_HEALTH.startPeriod,
      start_interval: START_INTERVAL_REF,
    },
    restart: RESTART,
    stop_grace_period: duration(STOP_GRACE_SECONDS),
    deploy: limits(a.cpus, a.memory, 256),
    ulimits: { nofile: { soft: 4096, hard: 4096 } },
    logging: LOGGING,
    networks: ['frontend', ...(a.postgres || a.redis || view.workerCommand ? ['backend'] : [])],
  };

  if (view.workerCommand) {
    services.worker = {
      ...appLike(view, a),
      command: view.workerCommand,
      ...(Object.keys(dbEnv).length > 0 ? { environment: { ...dbEnv } } : {}),
      ...dbSecrets,
      ...dependsOn,
      // The image's HEALTHCHECK probes HTTP, which a worker does not serve: check instead that the
      // worker process under init is alive and not a zombie.
      healthcheck: {
        // CMD-SHELL: Podman 5's Docker API splits CMD arguments at spaces (containers/podman#26519).
        test: ['CMD-SHELL', `python -c "${WORKER_PROBE}"`],
        interval: APP_HEALTH.interval,
        timeout: '5s',
        retries: 3,
        start_period: '20s',
        start_interval: START_INTERVAL_REF,
      },
      restart: RESTART,
      stop_grace_period: duration(STOP_GRACE_SECONDS),
      deploy: limits(a.cpus, a.memory, 256),
      ulimits: { nofile: { soft: 4096, hard: 4096 } },
      logging: LOGGING,
      networks: ['backend'],
    };
  }

  if (view.migrateCommand) {
    services.migrate = {
      ...appLike(view, a),
      command: view.migrateCommand,
      environment: { ...dbEnv, ...(a.migrations === 'flask-db' ? flaskApp : {}) },
      ...dbSecrets,
      depends_on: { db: { condition: 'service_healthy' }, ...(a.redis ? { redis: { condition: 'service_healthy' } } : {}) },
      // A one-shot job, not a server: the image's HTTP probe does not apply. The app and worker
      // start only after it exited 0; it is never restarted.
      healthcheck: { disable: true },
      restart: 'no',
      deploy: limits('1.0', '256m', 128),
      logging: LOGGING,
      networks: ['backend'],
    };
  }

  if (a.postgres) {
    services.db = {
      image: `\${POSTGRES_IMAGE:-${view.postgresImage}}`,
      environment: {
        POSTGRES_DB: dbName(a),
        POSTGRES_USER: dbName(a),
        POSTGRES_PASSWORD_FILE: `/run/secrets/${DB_SECRET}`,
      },
      secrets: ['db_password'],
      volumes: [`db-data:${postgresDataPath(a.postgresVersion)}`],
      healthcheck: {
        // Over TCP: during first-run init the temporary server listens only on the socket (PG-05).
        test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -p 5432 -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"'],
        interval: '5s',
        timeout: '5s',
        retries: 10,
        start_period: '30s',
        start_interval: START_INTERVAL_REF,
      },
      shm_size: '128mb',
      read_only: true,
      tmpfs: ['/var/run/postgresql', '/tmp'],
      cap_drop: ['ALL'],
      // Exactly what the entrypoint needs to chown the data directory and drop to the postgres user.
      cap_add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
      security_opt: SECURITY_OPT,
      restart: RESTART,
      stop_grace_period: '60s',
      deploy: limits('1.0', '512m', 256),
      logging: LOGGING,
      networks: ['backend'],
    };
  }

  if (a.redis) services.redis = redisService();

  const backend = a.postgres || a.redis || view.workerCommand;
  const compose: Record<string, unknown> = { name: a.name, services };
  compose.networks = {
    frontend: {},
    ...(backend ? { backend: { internal: true } } : {}),
  };
  const volumes: Record<string, object> = {
    ...(a.postgres ? { 'db-data': {} } : {}),
    ...(a.redis ? { 'redis-data': {} } : {}),
    ...Object.fromEntries(view.stateDirs.map((d) => [d.volume, {}])),
  };
  if (Object.keys(volumes).length > 0) compose.volumes = volumes;
  if (view.secrets.length > 0) compose.secrets = Object.fromEntries(view.secrets.map((s) => [s, { file: `./secrets/${s}` }]));
  return compose;
}

/**
 * Redis as the official image runs it (uid 999 owns /data), with the password from a file secret:
 * the config is written to the tmpfs at start, so the password is in no argv, env or layer.
 */
function redisService(): Record<string, unknown> {
  return {
    image: `\${REDIS_IMAGE:-${REDIS_IMAGE}}`,
    user: '999:999',
    command: [
      'sh',
      '-c',
      `printf 'requirepass "%s"\\nappendonly yes\\ndir /data\\n' "$$(cat /run/secrets/${REDIS_SECRET})" > /tmp/redis.conf && exec redis-server /tmp/redis.conf`,
    ],
    secrets: [REDIS_SECRET],
    volumes: ['redis-data:/data'],
    healthcheck: {
      // Authenticated: a PING without the password would answer NOAUTH.
      test: ['CMD-SHELL', `REDISCLI_AUTH="$$(cat /run/secrets/${REDIS_SECRET})" redis-cli -h 127.0.0.1 ping | grep -q PONG`],
      interval: '5s',
      start_interval: START_INTERVAL_REF,
      timeout: '5s',
      retries: 10,
      start_period: '10s',
    },
    read_only: true,
    tmpfs: ['/tmp:size=16m,mode=1777'],
    cap_drop: ['ALL'],
    security_opt: SECURITY_OPT,
    restart: RESTART,
    stop_grace_period: '30s',
    deploy: limits('0.5', '256m', 128),
    logging: LOGGING,
    networks: ['backend'],
  };
}

/**
 * A worker probe for any worker command: under `init: true`, PID 1 is docker-init and the worker is
 * its child, so "healthy" means that child exists and is not a zombie.
 */
export const WORKER_PROBE =
  "import sys; kids = open('/proc/1/task/1/children').read().split(); " +
  "sys.exit(0 if any(open(f'/proc/{p}/stat').read().split(')')[-1].split()[0] != 'Z' for p in kids) else 1)";

export function commentKey(doc: Document, path: string[], text: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return;
  const pair = (parent as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
}

export function composeYaml(view: StackView): string {
  const a = view.answers;
  const doc = new Document(composeObject(view), { compat: 'yaml-1.1', aliasDuplicateObjects: false });
  doc.commentBefore =
    ` Generated by create-pyimage ${view.version}: see README.Docker.md.\n` +
    ' Start with scripts/up.sh (creates secrets, builds, waits for health); regenerate with\n' +
    ' `npx create-pyimage update` - your edits are merged, not lost.';
  commentKey(doc, ['services', 'app', 'ports'], 'Loopback only unless APP_BIND_IP says otherwise: Docker\'s port rules bypass host firewalls.');
  commentKey(doc, ['services', 'app', 'read_only'], 'Nothing in the image is writable at run time; /tmp is a small tmpfs.');
  commentKey(doc, ['services', 'app', 'restart'], 'Back after a reboot or engine restart; a crash loop waits longer each time (up to a minute), it does not give up.');
  commentKey(doc, ['services', 'app', 'stop_grace_period'], `Longer than the server's own graceful timeout (${GRACEFUL_SECONDS}s), so requests finish on stop.`);
  if (a.postgres) {
    commentKey(doc, ['services', 'db', 'secrets'], 'The password is a file (secrets/db_password), never an environment variable; 5432 is not published.');
    commentKey(doc, ['services', 'db', 'shm_size'], 'Postgres needs more than the 64 MB /dev/shm default for parallel queries.');
    commentKey(doc, ['networks', 'backend'], 'internal: no route out; the database and worker live here.');
  }
  if (view.workerCommand) {
    commentKey(doc, ['services', 'worker', 'stop_grace_period'], 'SIGTERM is a warm shutdown for Celery and RQ: the task in hand finishes first, within this window.');
  }
  if (view.workerCommand) commentKey(doc, ['services', 'worker', 'networks'], 'Internal network only: add an egress network if the worker calls outside services.');
  if (a.redis) {
    commentKey(doc, ['services', 'redis', 'command'], 'The password comes from secrets/redis_password into a config on the tmpfs; never an argument or variable.');
    commentKey(doc, ['networks', 'backend'], 'internal: no route out; the database, Redis and worker live here.');
  }
  if (view.stateDirs.length > 0) {
    commentKey(doc, ['services', 'app', 'volumes'], 'What the app writes at run time lives in named volumes (scripts/backup-state.sh saves them); the rest stays read-only.');
  }
  const secretSettings = resolveAppEnv(a).filter((e) => e.secrets.length > 0).map((e) => e.name);
  if (secretSettings.length > 0) {
    commentKey(doc, ['services', 'app', 'environment'], `{secret:...} tokens (${secretSettings.join(', ')}) are filled from /run/secrets by the image's entrypoint at start.`);
  }
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

/** docker-compose.gpu.yml: device access as an override, so the base stack starts on any host. */
export function gpuComposeYaml(view: StackView): string | undefined {
  if (view.gpu === 'none') return undefined;
  const access =
    view.gpu === 'render'
      ? {
          devices: ['/dev/dri:/dev/dri'],
          // The host's render group by number: the container's /etc/group does not know the host's names.
          group_add: ['${RENDER_GID:?RENDER_GID must be the numeric id of the host render group (getent group render)}'],
        }
      : {
          deploy: { resources: { reservations: { devices: [{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }] } } },
        };
  const names = gpuServiceList(view.answers);
  const services = Object.fromEntries(names.map((name) => [name, access]));
  const doc = new Document({ services }, { compat: 'yaml-1.1', aliasDuplicateObjects: false });
  doc.commentBefore =
    ` GPU access for ${names.join(' and ')} (${view.gpu === 'render' ? 'Intel/AMD render node' : 'NVIDIA Container Toolkit'}), kept apart so the base stack\n` +
    ' still starts on hosts without one. scripts/up.sh adds this file when the device exists:\n' +
    '   docker compose -f docker-compose.yml -f docker-compose.gpu.yml up -d --wait';
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

/** The services whose healthcheck probes faster at start (what an old engine's override resets). */
export function startIntervalServices(compose: Record<string, unknown>): string[] {
  return Object.entries(compose.services as Record<string, { healthcheck?: Record<string, unknown> }>)
    .filter(([, s]) => s.healthcheck?.start_interval !== undefined)
    .map(([name]) => name);
}
