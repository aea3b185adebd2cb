/**
 * Postgres, MariaDB and Redis on Kubernetes: each a StatefulSet of one with a volume claim and a
 * headless Service named as the compose service (db, redis), so {db.host} and {redis.host} resolve
 * the same. Hardened like the app: the image's own non-root user (999), no capabilities, a
 * read-only root with emptyDirs for sockets and /tmp, passwords as files from the stack's Secret.
 * A managed database is the usual choice in production (--external-db leaves these out).
 */
import { DB_HOST, DB_PORT, DB_SECRET, dbName, defaultPostgresImage, postgresDataPath } from '../../stack/modules/postgres.js';
import { MARIADB_DATA, MARIADB_IMAGE, MARIADB_PORT, MARIADB_ROOT_SECRET } from '../../stack/modules/mariadb.js';
import { REDIS_HOST, REDIS_IMAGE, REDIS_PORT, REDIS_SECRET } from '../../stack/modules/redis.js';
import type { StackModel } from '../../stack/types.js';
import { containerSecurity, emptyDir, meta, podSecurity, resources, SECRETS_NAME, selector } from './common.js';

/** The official images' own user: it owns the data directory, so nothing runs as root. */
const SERVICE_UID = 999;

interface Backing {
  name: string;
  component: string;
  product: string;
  image: string;
  port: number;
  env: Record<string, string>;
  args?: string[];
  secrets: string[];
  dataPath: string;
  storage: string;
  scratch: { name: string; path: string; size: string; memory?: boolean }[];
  probe: string;
  cpus: string;
  memory: string;
  grace: number;
}

/** Shell probes read passwords with `read`, never `$(...)`: Kubernetes would take that for a variable. */
function readSecret(variable: string, secret: string): string {
  return `read -r ${variable} < /run/secrets/${secret};`;
}

function statefulSet(model: StackModel, b: Backing) {
  const probe = { exec: { command: ['sh', '-c', b.probe] }, timeoutSeconds: 5 };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(model, b.name, b.component, {}, b.product),
    spec: {
      serviceName: b.name,
      replicas: 1,
      selector: { matchLabels: selector(model, b.component) },
      template: {
        metadata: { labels: meta(model, b.name, b.component, {}, b.product).labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: b.grace,
          securityContext: podSecurity(SERVICE_UID),
          containers: [
            {
              name: b.name,
              image: b.image,
              imagePullPolicy: 'IfNotPresent',
              ...(b.args ? { args: b.args } : {}),
              ports: [{ name: b.component, containerPort: b.port, protocol: 'TCP' }],
              env: Object.entries(b.env).map(([name, value]) => ({ name, value })),
              startupProbe: { ...probe, periodSeconds: 2, failureThreshold: 60 },
              readinessProbe: { ...probe, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { ...probe, periodSeconds: 10, failureThreshold: 6 },
              resources: resources(b.cpus, b.memory),
              securityContext: containerSecurity(),
              volumeMounts: [
                { name: 'data', mountPath: b.dataPath },
                { name: 'secrets', mountPath: '/run/secrets', readOnly: true },
                ...b.scratch.map((s) => ({ name: s.name, mountPath: s.path })),
              ],
            },
          ],
          volumes: [
            { name: 'secrets', secret: { secretName: SECRETS_NAME, defaultMode: 0o440, items: b.secrets.map((key) => ({ key, path: key })) } },
            ...b.scratch.map((s) => emptyDir(s.name, s.size, s.memory)),
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: meta(model, 'data', b.component, {}, b.product).labels },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: b.storage } } },
        },
      ],
    },
  };
}

/** The headless Service: the pod's own address under the compose service name, no virtual IP. */
function headless(model: StackModel, b: Backing) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(model, b.name, b.component, {}, b.product),
    spec: {
      clusterIP: 'None',
      selector: selector(model, b.component),
      ports: [{ name: b.component, port: b.port, targetPort: b.component, protocol: 'TCP' }],
    },
  };
}

function postgres(model: StackModel): Backing {
  const a = model.answers;
  const data = postgresDataPath(a.postgresVersion);
  return {
    name: DB_HOST,
    component: 'database',
    product: 'postgres',
    image: defaultPostgresImage(a.postgresVersion),
    port: DB_PORT,
    env: {
      POSTGRES_DB: dbName(a),
      POSTGRES_USER: dbName(a),
      POSTGRES_PASSWORD_FILE: `/run/secrets/${DB_SECRET}`,
      // A subdirectory: a fresh volume's root holds lost+found, which initdb refuses (17 and older).
      ...(a.postgresVersion >= 18 ? {} : { PGDATA: `${data}/pgdata` }),
    },
    secrets: [DB_SECRET],
    dataPath: data,
    storage: '10Gi',
    scratch: [
      { name: 'run', path: '/var/run/postgresql', size: '16Mi', memory: true },
      { name: 'tmp', path: '/tmp', size: '64Mi', memory: true },
      // More than the 64 MB default for parallel queries (compose's shm_size).
      { name: 'shm', path: '/dev/shm', size: '128Mi', memory: true },
    ],
    probe: `pg_isready -h 127.0.0.1 -p ${DB_PORT} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`,
    cpus: '1.0',
    memory: '512m',
    grace: 60,
  };
}

function mariadb(model: StackModel): Backing {
  const name = dbName(model.answers);
  return {
    name: DB_HOST,
    component: 'database',
    product: 'mariadb',
    image: MARIADB_IMAGE,
    port: MARIADB_PORT,
    env: {
      MARIADB_DATABASE: name,
      MARIADB_USER: name,
      MARIADB_PASSWORD_FILE: `/run/secrets/${DB_SECRET}`,
      MARIADB_ROOT_PASSWORD_FILE: `/run/secrets/${MARIADB_ROOT_SECRET}`,
    },
    secrets: [DB_SECRET, MARIADB_ROOT_SECRET],
    dataPath: MARIADB_DATA,
    storage: '10Gi',
    scratch: [
      { name: 'run', path: '/run/mysqld', size: '16Mi', memory: true },
      { name: 'tmp', path: '/tmp', size: '256Mi' },
    ],
    // Over TCP: during first-run init the temporary server listens only on the socket.
    probe: `${readSecret('MYSQL_PWD', DB_SECRET)} export MYSQL_PWD; mariadb-admin ping --host=127.0.0.1 --port=${MARIADB_PORT} --protocol=tcp --user="$MARIADB_USER" --silent`,
    cpus: '1.0',
    memory: '512m',
    grace: 60,
  };
}

function redis(): Backing {
  return {
    name: REDIS_HOST,
    component: 'cache',
    product: 'redis',
    image: REDIS_IMAGE,
    port: REDIS_PORT,
    env: {},
    // The password goes from the secret file into a config on the emptyDir: never an argument or variable.
    args: [
      'sh',
      '-c',
      `${readSecret('pw', REDIS_SECRET)} printf 'requirepass "%s"\\nappendonly yes\\ndir /data\\n' "$pw" > /tmp/redis.conf && exec redis-server /tmp/redis.conf`,
    ],
    secrets: [REDIS_SECRET],
    dataPath: '/data',
    storage: '1Gi',
    scratch: [{ name: 'tmp', path: '/tmp', size: '16Mi', memory: true }],
    probe: `${readSecret('REDISCLI_AUTH', REDIS_SECRET)} export REDISCLI_AUTH; redis-cli -h 127.0.0.1 ping | grep -q PONG`,
    cpus: '0.5',
    memory: '256m',
    grace: 30,
  };
}

/** The backing services deploy/k8s runs, each a StatefulSet and its headless Service. */
export function backingServices(model: StackModel, externalDb: boolean): { file: string; backing: Backing; objects: Record<string, unknown>[] }[] {
  const out: Backing[] = [];
  if (!externalDb && model.has('postgres')) out.push(postgres(model));
  if (!externalDb && model.has('mariadb')) out.push(mariadb(model));
  if (model.has('redis')) out.push(redis());
  return out.map((b) => ({ file: `${b.name}.yaml`, backing: b, objects: [statefulSet(model, b), headless(model, b)] }));
}

export type { Backing };
