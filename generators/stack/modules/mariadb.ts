/**
 * MariaDB (MySQL-compatible): the official image run as its own user (uid 999 owns /var/lib/mysql),
 * the app user's password and root's as file secrets, data in a named volume on the internal
 * network only. Serves the `{db.*}` placeholders; `{db.url}` follows the driver in the dependencies
 * (mysqlclient: `mysql://`, PyMySQL: `mysql+pymysql://`, Django's dj-database-url: `mysql://`).
 */
import type { Answers } from '../../answers/types.js';
import type { Endpoint, ServiceModule } from '../types.js';
import { SECURITY_OPT, START_INTERVAL_REF, limits, longRunning } from '../view.js';
import { DB_HOST, DB_SECRET, DB_VOLUME, dbName } from './postgres.js';

export const MARIADB_PORT = 3306;
/** Root's password: the app never gets it; the image refuses to initialise without one. */
export const MARIADB_ROOT_SECRET = 'db_root_password';
/** Pinned to a release series (an LTS) and its base: data files of a newer series may not open in an older one. */
export const MARIADB_IMAGE = 'mariadb:11.4-noble';
export const MARIADB_DATA = '/var/lib/mysql';

/** The URL scheme `{db.url}` gets: what the app's database layer reads for this driver. */
export function mariadbScheme(a: Pick<Answers, 'framework' | 'mysqlDriver'>): string {
  // dj-database-url knows only mysql:// (Django's backend loads MySQLdb, which PyMySQL can stand in for).
  return a.mysqlDriver === 'pymysql' && a.framework !== 'django' ? 'mysql+pymysql' : 'mysql';
}

function endpoint(a: Answers): Endpoint {
  const name = dbName(a);
  return {
    family: 'db',
    scheme: mariadbScheme(a),
    host: DB_HOST,
    port: MARIADB_PORT,
    user: name,
    name,
    secret: DB_SECRET,
    // collectstatic imports the settings but never connects: an in-memory sqlite stands in.
    buildUrl: 'sqlite://:memory:',
    buildUrlInText: 'sqlite://:memory:',
  };
}

/**
 * `mariadb-admin ping` over TCP (the first-run temporary server listens only on the socket) as the
 * app user, the password in MYSQL_PWD from the secret file: on no command line, and no "Access
 * denied" warning in the log for every probe. The official image and the stand-in both ship it.
 */
const HEALTH = `MYSQL_PWD="$$(cat /run/secrets/${DB_SECRET})" mariadb-admin ping --host=127.0.0.1 --port=${MARIADB_PORT} --protocol=tcp --user="$$MARIADB_USER" --silent`;

function service(ctx: { answers: Answers }) {
  const a = ctx.answers;
  return {
    image: `\${MARIADB_IMAGE:-${MARIADB_IMAGE}}`,
    // The image's own mysql user: no root entrypoint, so no capabilities to add back.
    user: '999:999',
    environment: {
      MARIADB_DATABASE: dbName(a),
      MARIADB_USER: dbName(a),
      MARIADB_PASSWORD_FILE: `/run/secrets/${DB_SECRET}`,
      MARIADB_ROOT_PASSWORD_FILE: `/run/secrets/${MARIADB_ROOT_SECRET}`,
    },
    secrets: [DB_SECRET, MARIADB_ROOT_SECRET],
    volumes: [`${DB_VOLUME}:${MARIADB_DATA}`],
    healthcheck: {
      test: ['CMD-SHELL', HEALTH],
      interval: '5s',
      timeout: '5s',
      retries: 10,
      start_period: '60s',
      start_interval: START_INTERVAL_REF,
    },
    read_only: true,
    // The socket and pid file, and temporary tables.
    tmpfs: ['/run/mysqld', '/tmp'],
    cap_drop: ['ALL'],
    security_opt: SECURITY_OPT,
    ...longRunning('60s', limits('1.0', '512m', 256)),
    networks: ['backend'],
  };
}

/** `select 1` as the app user, over TCP, with the password from the secret file (smoke). */
export const MARIADB_QUERY = `MYSQL_PWD="$(cat /run/secrets/${DB_SECRET})" mariadb -h 127.0.0.1 -P ${MARIADB_PORT} -u "$MARIADB_USER" -NBe "select 1" "$MARIADB_DATABASE"`;

export const mariadb: ServiceModule = {
  id: 'mariadb',
  kind: 'backing',
  serviceName: DB_HOST,
  applies: (a) => a.database === 'mariadb',
  options: ['database', 'mysqlDriver'],
  endpoint,
  secrets: () => [DB_SECRET, MARIADB_ROOT_SECRET],
  volumes: () => [DB_VOLUME],
  readyWhen: 'service_healthy',
  service,
  comments: () => [
    { path: ['services', DB_HOST, 'secrets'], text: `Passwords are files (secrets/${DB_SECRET}, secrets/${MARIADB_ROOT_SECRET}), never environment variables; ${MARIADB_PORT} is not published.` },
    { path: ['services', DB_HOST, 'healthcheck'], text: 'Over TCP: during first-run init the temporary server listens only on the socket.' },
    { path: ['networks', 'backend'], text: 'internal: no route out; the database and worker live here.' },
  ],
  variables: () => [
    { name: 'MARIADB_IMAGE', value: MARIADB_IMAGE, comment: 'MariaDB image, pinned to a release series: data files of a newer series may not open in an older one.' },
  ],
  role: 'stateful',
  packages: (a) =>
    a.mysqlDriver === 'mysqlclient'
      ? {
          builder: ['gcc', 'libc6-dev', 'pkg-config', 'default-libmysqlclient-dev'],
          runtime: ['libmariadb3'],
          builderWhy: 'A C compiler, pkg-config and the MariaDB client headers to build the MySQL driver (mysqlclient) from source.',
          runtimeWhy: 'libmariadb3: the MySQL driver loads it at run time (the headers stayed in the builder).',
        }
      : undefined,
  scripts: () => [
    { name: 'backup-db', template: 'backup-db-mariadb' },
    { name: 'restore-db', template: 'restore-db-mariadb' },
  ],
  smoke: () => [
    { name: 'database answers', service: DB_HOST, check: { kind: 'exec', script: MARIADB_QUERY, expect: '1' }, passed: 'select 1 -> 1 (password from the secret, over TCP)' },
  ],
  audit: () => [{ service: DB_HOST, rules: ['MD-01', 'MD-02', 'MD-03', 'MD-04', 'MD-05', 'MD-06', 'MD-07', 'PG-06', 'CP-18'], image: /^(?:[^/]+\/)*(mariadb|mysql)(:|@|$)/ }],
  image: { variable: 'MARIADB_IMAGE', option: 'mariadbImage', flag: 'mariadb-image', default: MARIADB_IMAGE },
};
