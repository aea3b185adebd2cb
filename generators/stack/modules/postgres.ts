/**
 * Postgres: the official image, the password as a file secret, data in a named volume on the
 * internal network only. Serves the `{db.*}` placeholders.
 */
import type { Answers } from '../../answers/types.js';
import type { Endpoint, ModuleContext, ServiceModule } from '../types.js';
import { limits, SECURITY_OPT, START_INTERVAL_REF, longRunning } from '../view.js';

export const DB_HOST = 'db';
export const DB_PORT = 5432;
export const DB_SECRET = 'db_password';
export const DB_VOLUME = 'db-data';
/** What app, worker and migrate get from the stack when there is a database (the password as a file). */
export const POSTGRES_ENV = ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD_FILE'];

export function defaultPostgresImage(version: number): string {
  return `postgres:${version}-bookworm`;
}

/** Where the official image keeps data: 18+ moved PGDATA under a versioned path (checklist PG-04). */
export function postgresDataPath(version: number): string {
  return version >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
}

/** Database name and role: the app name as a Postgres identifier. */
export function dbName(a: Pick<Answers, 'name'>): string {
  return a.name.replace(/-/g, '_');
}

function endpoint(a: Answers): Endpoint {
  const name = dbName(a);
  return {
    family: 'db',
    scheme: 'postgresql',
    host: DB_HOST,
    port: DB_PORT,
    user: name,
    name,
    secret: DB_SECRET,
    // collectstatic imports the settings but never connects: an in-memory sqlite stands in.
    buildUrl: 'sqlite://:memory:',
    buildUrlInText: 'sqlite://:memory:',
  };
}

function service(ctx: ModuleContext) {
  const a = ctx.answers;
  return {
    image: `\${POSTGRES_IMAGE:-${defaultPostgresImage(a.postgresVersion)}}`,
    environment: {
      POSTGRES_DB: dbName(a),
      POSTGRES_USER: dbName(a),
      POSTGRES_PASSWORD_FILE: `/run/secrets/${DB_SECRET}`,
    },
    secrets: [DB_SECRET],
    volumes: [`${DB_VOLUME}:${postgresDataPath(a.postgresVersion)}`],
    healthcheck: {
      // Over TCP: during first-run init the temporary server listens only on the socket (PG-05).
      test: ['CMD-SHELL', `pg_isready -h 127.0.0.1 -p ${DB_PORT} -U "$\${POSTGRES_USER}" -d "$\${POSTGRES_DB}"`],
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
    ...longRunning('60s', limits('1.0', '512m', 256)),
    networks: ['backend'],
  };
}

/** `select 1` as the app's role, over TCP, with the password from the secret file (smoke). */
export const DB_QUERY =
  'PGPASSWORD="$(cat /run/secrets/db_password)" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "select 1"';

export const postgres: ServiceModule = {
  id: 'postgres',
  kind: 'backing',
  serviceName: DB_HOST,
  applies: (a) => a.database === 'postgres',
  options: ['postgres', 'database', 'postgresVersion', 'libpq'],
  endpoint,
  appEnv: (a) => ({
    POSTGRES_HOST: DB_HOST,
    POSTGRES_PORT: String(DB_PORT),
    POSTGRES_DB: dbName(a),
    POSTGRES_USER: dbName(a),
    POSTGRES_PASSWORD_FILE: `/run/secrets/${DB_SECRET}`,
  }),
  appSecrets: () => [DB_SECRET],
  secrets: () => [DB_SECRET],
  volumes: () => [DB_VOLUME],
  readyWhen: 'service_healthy',
  service,
  comments: () => [
    { path: ['services', DB_HOST, 'secrets'], text: `The password is a file (secrets/${DB_SECRET}), never an environment variable; ${DB_PORT} is not published.` },
    { path: ['services', DB_HOST, 'shm_size'], text: 'Postgres needs more than the 64 MB /dev/shm default for parallel queries.' },
    { path: ['networks', 'backend'], text: 'internal: no route out; the database and worker live here.' },
  ],
  variables: (a) => [
    { name: 'POSTGRES_IMAGE', value: defaultPostgresImage(a.postgresVersion), comment: `Postgres image, pinned to major ${a.postgresVersion}: the data directory layout depends on it.` },
  ],
  role: 'stateful',
  packages: (a) =>
    a.libpq
      ? {
          builder: ['gcc', 'libc6-dev', 'libpq-dev'],
          runtime: ['libpq5'],
          builderWhy: 'A C compiler and libpq headers to build the Postgres driver (psycopg2) from source.',
          runtimeWhy: 'libpq5: the Postgres driver loads it at run time (the headers stayed in the builder).',
        }
      : undefined,
  scripts: () => [{ name: 'backup-db' }, { name: 'restore-db' }],
  smoke: () => [
    { name: 'database answers', service: DB_HOST, check: { kind: 'exec', script: DB_QUERY, expect: '1' }, passed: 'select 1 -> 1 (password from the secret, over TCP)' },
  ],
  audit: () => [{ service: DB_HOST, rules: ['PG-01', 'PG-02', 'PG-03', 'PG-04', 'PG-05', 'PG-06', 'PG-07', 'PG-08', 'PG-09'], image: /^(?:[^/]+\/)*postgres(:|@|$)/ }],
  image: { variable: 'POSTGRES_IMAGE', option: 'postgresImage', flag: 'postgres-image', default: 'postgres:17-bookworm' },
};
