/**
 * Every combination of the answers that change the shape of the output: framework x dependency
 * source x database (none, Postgres, MariaDB) x worker x GPU x migrations. Tests render, validate and audit all of them.
 */
import type { Answers } from '../answers/types.js';
import { crossValidate } from '../answers/schema.js';
import { staticFilesDefault } from '../answers/proxy-options.js';

export const BASE_ANSWERS: Answers = {
  name: 'demo-service',
  pythonVersion: '3.12',
  framework: 'fastapi',
  appModule: 'main:app',
  server: 'uvicorn',
  installServer: false,
  djangoDir: '',
  pythonPath: '',
  port: 8000,
  healthPath: '/health',
  deps: 'requirements',
  requirementsFile: 'requirements.txt',
  postgres: false,
  database: 'none',
  mysqlDriver: 'pymysql',
  postgresVersion: 17,
  migrations: 'none',
  migrateCommand: '',
  collectStatic: false,
  worker: '',
  redis: false,
  proxy: 'none',
  domains: [],
  acmeEmail: '',
  staticFiles: 'app',
  env: [],
  stateDirs: [],
  libpq: false,
  nativeBuild: false,
  gpu: 'none',
  gpuServices: 'app',
  cpus: '1.0',
  memory: '512m',
  dockerfileSyntax: false,
  registry: '',
  ci: 'none',
  devDeps: '',
  debugger: false,
  kubeNamespace: 'demo-service',
  kubeDb: 'in-cluster',
  externalDb: false,
  kubeHpa: false,
  kubeIngress: false,
  kubeCertIssuer: '',
  kubeGpuResource: 'gpu.intel.com/i915',
};

export function answersFor(overrides: Partial<Answers>): Answers {
  const asgi = (overrides.framework ?? BASE_ANSWERS.framework) === 'fastapi' || overrides.framework === 'asgi';
  // --postgres is the alias of --database postgres: a combination names either.
  const postgres = overrides.database !== undefined ? overrides.database === 'postgres' : (overrides.postgres ?? BASE_ANSWERS.postgres);
  const database = overrides.database ?? (postgres ? 'postgres' : 'none');
  const answers = { ...BASE_ANSWERS, server: asgi ? 'uvicorn' : 'gunicorn', ...overrides, postgres, database } as Answers;
  // Who serves Django's static files follows the answers as detection's default does (no WhiteNoise seen).
  if (overrides.staticFiles === undefined) answers.staticFiles = staticFilesDefault(answers, {});
  crossValidate(answers);
  return answers;
}

function variedExtras(i: number, database: boolean, worker: boolean): Partial<Answers> {
  const redis = worker ? i % 2 === 0 : i % 5 === 0;
  const env = [
    ...(database ? ['DATABASE_URL={db.url}', 'DBHOST={db.host}', 'DBPASS={db.password}'] : []),
    ...(redis ? ['CELERY_BROKER_URL={redis.url}'] : []),
    ...(i % 3 === 0 ? ['SECRET_KEY={secret.secret_key}', 'FEATURE_FLAGS=a,b $HOME "quoted"'] : []),
  ];
  // The front door on every third combination: no name, a public name with an ACME e-mail, a local one.
  const proxy = i % 3 === 2 ? (['none', 'public', 'local'] as const)[Math.floor(i / 3) % 3]! : 'none';
  return {
    redis,
    proxy: proxy === 'none' ? 'none' : 'caddy',
    domains: proxy === 'public' ? ['shop.example.com', 'www.shop.example.com'] : proxy === 'local' ? ['shop.internal'] : [],
    acmeEmail: proxy === 'public' ? 'ops@example.com' : '',
    env,
    installServer: i % 2 === 1,
    stateDirs: i % 4 === 0 ? ['/app/instance', '/opt/venv/var/service-instance'] : i % 4 === 1 ? ['/data/uploads'] : [],
    pythonPath: i % 7 === 0 ? 'src' : '',
  };
}

export function allAnswerCombinations(): Answers[] {
  const out: Answers[] = [];
  const frameworks = [
    { framework: 'fastapi', appModule: 'main:app' },
    { framework: 'flask', appModule: 'app:create_app()' },
    { framework: 'asgi', appModule: 'service.api:application' },
    { framework: 'wsgi', appModule: 'service.wsgi:application' },
    { framework: 'django', appModule: 'mysite.wsgi:application' },
  ] as const;
  for (const fw of frameworks) {
    for (const deps of ['requirements', 'pip-pyproject', 'uv'] as const) {
      for (const postgres of [false, true]) {
        const migrations = postgres ? (['none', 'alembic', fw.framework === 'django' ? 'django' : 'flask-db', 'custom'] as const) : (['none'] as const);
        for (const migration of migrations) {
          for (const worker of ['', 'python -m service.worker --queue default']) {
            for (const gpu of ['none', 'render', 'nvidia'] as const) {
              out.push(
                answersFor({
                  ...fw,
                  deps,
                  postgres,
                  libpq: postgres,
                  migrations: migration,
                  migrateCommand: migration === 'custom' ? 'python -m service.migrate' : '',
                  // Django collects static files at build time in all but every third combination.
                  collectStatic: fw.framework === 'django' && out.length % 3 !== 0,
                  worker,
                  gpu,
                  // With a worker, the GPU goes to the app, the worker or both, chosen from the Python
                  // version and Postgres (which already vary the scripts): shellcheck gets no extra sets.
                  gpuServices: worker && gpu !== 'none' ? ['app', 'app,worker', 'worker'][Math.floor((out.length % 4) / 2) + (postgres ? 1 : 0)]! : 'app',
                  // Vary the rest across the matrix so every Python and Postgres major is rendered too.
                  pythonVersion: (['3.10', '3.11', '3.12', '3.13'] as const)[out.length % 4]!,
                  postgresVersion: [13, 14, 15, 16, 17, 18][out.length % 6]!,
                  // The settings contract, Redis, writable state and a provisioned server, varied the same way.
                  ...variedExtras(out.length, postgres, worker !== ''),
                }),
              );
            }
          }
        }
      }
    }
  }
  return [...out, ...mariadbCombinations(frameworks)];
}

/**
 * MariaDB for every framework, dependency source, migration choice and worker (the GPU variants do
 * not touch the database), alternating the driver so both URL schemes and client libraries render.
 */
function mariadbCombinations(frameworks: readonly { framework: Answers['framework']; appModule: string }[]): Answers[] {
  const out: Answers[] = [];
  for (const fw of frameworks) {
    for (const deps of ['requirements', 'pip-pyproject', 'uv'] as const) {
      for (const migration of ['none', 'alembic', fw.framework === 'django' ? 'django' : 'flask-db', 'custom'] as const) {
        for (const worker of ['', 'python -m service.worker --queue default']) {
          out.push(
            answersFor({
              ...fw,
              deps,
              database: 'mariadb',
              mysqlDriver: out.length % 2 === 0 ? 'pymysql' : 'mysqlclient',
              migrations: migration,
              migrateCommand: migration === 'custom' ? 'python -m service.migrate' : '',
              collectStatic: fw.framework === 'django' && out.length % 3 !== 0,
              worker,
              // Two settings variants and one Python: the base matrix varies the rest, and each
              // distinct script set costs a ShellCheck run.
              ...variedExtras(out.length % 2, true, worker !== ''),
            }),
          );
        }
      }
    }
  }
  return out;
}
