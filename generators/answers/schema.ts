/**
 * One schema for every answer: its flag, its prompt, its default, what is allowed and the message
 * for a bad value. Flags, `--help`, prompts, the answers file and validation all read this table,
 * so no option is described twice.
 */
import type { AnswerKey, Answers } from './types.js';
import { AnswerError } from './errors.js';
import { parseEnvList, parseStateDirs } from './settings.js';
import { placeholderList } from './placeholders.js';
import { wireDetected } from './wiring.js';
import { DJANGO_MIGRATE } from './django.js';
import {
  APP_MODULE_RE, asString, CPUS_RE, describe, GPU_SERVICES, HEALTH_PATH_RE, MEMORY_RE, NAME_RE, parseBoolean, parseChoice, parseCommand,
  parseFolder, parseGpuServices, REGISTRY_RE, REL_PATH_RE, type Choice,
  DATABASES, FRAMEWORKS, MYSQL_DRIVERS, POSTGRES_VERSIONS, PYTHON_VERSIONS, SERVERS,
} from './parse.js';
import type { ProjectFacts } from './validate.js';
import { PROXY_OPTIONS } from './proxy-options.js';
import { KUBE_OPTIONS } from './kube-options.js';
import type { OptionSpec } from './option-spec.js';
import { SIDE_SERVICE_OPTIONS } from './side-service-options.js';
import { CI_OPTION } from './ci-option.js';
import { DEV_OPTIONS } from './dev-options.js';
import { appNotFound } from './app-detect.js';

export type { Choice, OptionSpec, ProjectFacts };
export { DATABASES, FRAMEWORKS, GPU_SERVICES, POSTGRES_VERSIONS, PYTHON_VERSIONS };
export { crossValidate, gpuServiceList, migrationArgv } from './validate.js';

export { AnswerError };

function frameworkModuleDefault(a: Partial<Answers>, detected: Partial<Answers>, facts: ProjectFacts): string | undefined {
  if (detected.appModule && (detected.framework === undefined || detected.framework === a.framework)) return detected.appModule;
  // An existing project whose app was not found: never a silent main:app.
  if (facts.app?.notFound && a.framework !== 'django') return undefined;
  if (a.framework === 'fastapi') return 'main:app';
  if (a.framework === 'flask') return 'app:app';
  return undefined; // other ASGI/WSGI apps: the user must say where the app lives
}

/** The versions the image installs when the project's dependencies lack the server (SERVER_PACKAGES overrides). */
export const SERVER_PINS: Record<Answers['server'], string> = { gunicorn: 'gunicorn==27.0.1', uvicorn: 'uvicorn==0.54.0' };

/** The distributions a server needs: ASGI on gunicorn runs uvicorn's worker class. */
export function serverPackages(framework: Answers['framework'] | undefined, server: Answers['server'] | undefined): Answers['server'][] {
  if (server === 'gunicorn') return framework === 'fastapi' || framework === 'asgi' ? ['gunicorn', 'uvicorn'] : ['gunicorn'];
  return server === 'uvicorn' ? ['uvicorn'] : [];
}

export const OPTIONS: OptionSpec[] = [
  {
    key: 'name',
    flag: 'name',
    kind: 'string',
    question: 'App name',
    hint: 'names the compose project and the image: lowercase letters, digits, dashes',
    defaultText: 'the directory name',
    fallback: (_a, d) => d.name,
    parse: (raw) => {
      const text = asString('name', raw);
      if (!NAME_RE.test(text) || text.length > 63) {
        throw new AnswerError('name', `${describe(raw)} is not allowed; use 1-63 lowercase letters, digits and single dashes, starting with a letter (e.g. "my-service")`);
      }
      return text;
    },
  },
  {
    key: 'pythonVersion',
    flag: 'python',
    kind: 'choice',
    question: 'Python version',
    hint: 'the python:<version>-slim-bookworm base image',
    defaultText: '3.12',
    choices: PYTHON_VERSIONS.map((v) => ({ value: v, name: `Python ${v}`, hint: v === '3.12' ? 'recommended' : '' })),
    fallback: (_a, d) => d.pythonVersion ?? '3.12',
    parse: (raw) => {
      const text = asString('python', raw);
      if (!(PYTHON_VERSIONS as readonly string[]).includes(text)) {
        throw new AnswerError('python', `${describe(raw)} is not supported; choose one of: ${PYTHON_VERSIONS.join(', ')}`);
      }
      return text as Answers['pythonVersion'];
    },
  },
  {
    key: 'framework',
    flag: 'framework',
    kind: 'choice',
    question: 'Framework',
    hint: 'fastapi (uvicorn), flask (gunicorn), django (gunicorn), asgi or wsgi for any other app',
    defaultText: 'detected, else fastapi',
    choices: FRAMEWORKS,
    fallback: (_a, d) => d.framework ?? 'fastapi',
    parse: (raw) => parseChoice('framework', raw, FRAMEWORKS) as Answers['framework'],
  },
  {
    key: 'appModule',
    flag: 'app',
    kind: 'string',
    question: 'Where is the app object (module:attribute)?',
    hint: 'e.g. main:app, myapp.api:app, flaskr:create_app() for a factory, mysite.wsgi:application for Django',
    defaultText: 'detected, else main:app (fastapi) or app:app (flask)',
    fallback: (a, d, facts) => frameworkModuleDefault(a, d, facts),
    missing: (_a, facts) => appNotFound(facts.app),
    parse: (raw) => {
      const text = asString('app', raw);
      if (!APP_MODULE_RE.test(text)) {
        throw new AnswerError('app', `${describe(raw)} is not a module:attribute; write e.g. "main:app", "pkg.web:app" or "flaskr:create_app()"`);
      }
      return text;
    },
  },
  {
    key: 'server',
    flag: 'server',
    kind: 'choice',
    question: 'Server',
    hint: 'gunicorn (WSGI; ASGI apps run with uvicorn workers) or uvicorn (ASGI)',
    defaultText: 'gunicorn for flask/wsgi/django, uvicorn for fastapi/asgi',
    choices: SERVERS,
    flagOnly: true,
    // What the project runs (its Dockerfile, Procfile, gunicorn.conf.py), when it can serve this framework.
    fallback: (a, d) => (d.server && (d.server === 'gunicorn' || a.framework === 'fastapi' || a.framework === 'asgi') && a.framework !== 'django' ? d.server : a.framework === 'fastapi' || a.framework === 'asgi' ? 'uvicorn' : 'gunicorn'),
    parse: (raw) => parseChoice('server', raw, SERVERS) as Answers['server'],
  },
  {
    key: 'installServer',
    flag: 'install-server',
    kind: 'boolean',
    question: 'Install the server into the image?',
    hint: `when the dependencies lack it, the image installs a pinned one (${Object.values(SERVER_PINS).join(', ')})`,
    defaultText: 'yes when the dependency file lacks the server',
    flagOnly: true,
    fallback: (a, _d, facts) => (facts.dependencies ? serverPackages(a.framework, a.server).some((p) => !facts.dependencies!.includes(p)) : false),
    parse: (raw) => parseBoolean('install-server', raw),
  },
  {
    key: 'djangoDir',
    flag: 'django-dir',
    kind: 'string',
    question: 'Folder holding manage.py',
    hint: 'Django: the project folder with manage.py, relative to the project (e.g. "backend"); manage.py commands run from there',
    defaultText: 'detected, else the project root',
    flagOnly: true,
    fallback: (a, d) => (a.framework === 'django' ? (d.djangoDir ?? '') : ''),
    parse: (raw) => parseFolder('django-dir', raw),
  },
  {
    key: 'pythonPath',
    flag: 'python-path',
    kind: 'string',
    question: 'Extra import directory',
    hint: 'a project folder added to PYTHONPATH, e.g. "src" for a src layout installed from requirements',
    defaultText: 'detected (src layout without pip install), else none',
    flagOnly: true,
    fallback: (a, d) => d.pythonPath ?? (a.djangoDir || ''),
    parse: (raw) => parseFolder('python-path', raw),
  },
  {
    key: 'port',
    flag: 'port',
    kind: 'number',
    question: 'Port the app listens on inside the container',
    hint: 'unprivileged, 1024-65535',
    defaultText: '8000',
    fallback: (_a, d) => d.port ?? 8000,
    parse: (raw) => {
      const text = typeof raw === 'number' ? String(raw) : asString('port', raw);
      const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isInteger(port) || port < 1024 || port > 65535) {
        throw new AnswerError('port', `${describe(raw)} is not allowed; use a whole number from 1024 to 65535 (the app runs as a non-root user)`);
      }
      return port;
    },
  },
  {
    key: 'healthPath',
    flag: 'health-path',
    kind: 'string',
    question: 'Health-check path',
    hint: 'answers 2xx when the app is up',
    defaultText: '/health',
    fallback: () => '/health',
    parse: (raw) => {
      const text = asString('health-path', raw);
      if (!HEALTH_PATH_RE.test(text) || text.length > 200) {
        throw new AnswerError('health-path', `${describe(raw)} is not allowed; start with "/" and use letters, digits and . _ ~ / - only (e.g. "/health")`);
      }
      return text;
    },
  },
  {
    key: 'deps',
    flag: 'deps',
    kind: 'choice',
    question: 'Where do the dependencies come from?',
    hint: 'requirements (pip -r), pyproject (pip install .), uv (pyproject.toml + uv.lock)',
    defaultText: 'detected, else requirements',
    choices: [
      { value: 'requirements', name: 'requirements.txt, installed with pip', hint: '' },
      { value: 'pip-pyproject', name: 'pyproject.toml, installed with pip', hint: '' },
      { value: 'uv', name: 'pyproject.toml + uv.lock, installed with uv', hint: '' },
    ],
    fallback: (_a, d) => d.deps ?? 'requirements',
    parse: (raw) => {
      const text = asString('deps', raw).toLowerCase();
      const value = text === 'pyproject' ? 'pip-pyproject' : text;
      return parseChoice('deps', value, OPTIONS.find((o) => o.key === 'deps')!.choices!) as Answers['deps'];
    },
  },
  {
    key: 'requirementsFile',
    flag: 'requirements-file',
    kind: 'string',
    question: 'Requirements file',
    hint: 'relative to the project; pinned versions recommended',
    defaultText: 'detected, else requirements.txt',
    when: (a) => a.deps === 'requirements',
    fallback: (_a, d) => d.requirementsFile ?? 'requirements.txt',
    parse: (raw) => {
      const text = asString('requirements-file', raw);
      if (!REL_PATH_RE.test(text) || text.split('/').some((part) => part === '..' || part === '.' || part === '') || !text.endsWith('.txt')) {
        throw new AnswerError('requirements-file', `${describe(raw)} is not allowed; give a .txt path inside the project, relative to it (e.g. "requirements.txt" or "requirements/prod.txt")`);
      }
      return text;
    },
  },
  {
    key: 'postgres',
    flag: 'postgres',
    kind: 'boolean',
    question: 'Add a Postgres database?',
    hint: 'official postgres image, password from a secret file, never published (same as --database postgres)',
    defaultText: 'detected (a Postgres driver in the dependencies), else no',
    fallback: (_a, d) => d.postgres ?? (d.database === undefined ? false : d.database === 'postgres'),
    parse: (raw) => parseBoolean('postgres', raw),
    aliasOf: { key: 'database', to: (on: boolean) => (on ? 'postgres' : 'none'), from: (database: string) => database === 'postgres' },
  },
  {
    key: 'database',
    flag: 'database',
    kind: 'choice',
    question: 'Database',
    hint: 'the database service: its password from a secret file, never published; {db.*} placeholders reach it',
    defaultText: 'postgres with --postgres or a detected driver, else none',
    choices: DATABASES,
    // Asked as "Add a Postgres database?" (the alias) until a second database can be chosen here.
    flagOnly: true,
    fallback: (a, d) => (a.postgres ? 'postgres' : (d.database ?? 'none')),
    parse: (raw) => parseChoice('database', raw, DATABASES) as Answers['database'],
  },
  {
    key: 'mysqlDriver',
    flag: 'mysql-driver',
    kind: 'choice',
    question: 'MySQL driver the app imports',
    hint: 'decides the {db.url} scheme and whether the image builds against libmariadb',
    defaultText: 'detected from the dependencies, else mysqlclient for Django with MariaDB and PyMySQL otherwise',
    choices: MYSQL_DRIVERS,
    when: (a) => a.database === 'mariadb',
    // Also without the MariaDB service: a mysqlclient in the dependencies needs its headers to build.
    fallback: (a, d) => d.mysqlDriver ?? (a.database === 'mariadb' && a.framework === 'django' ? 'mysqlclient' : 'pymysql'),
    parse: (raw) => parseChoice('mysql-driver', raw, MYSQL_DRIVERS) as Answers['mysqlDriver'],
  },
  {
    key: 'postgresVersion',
    flag: 'postgres-version',
    kind: 'choice',
    question: 'Postgres major version',
    hint: 'pins postgres:<major>-bookworm; the data path depends on it',
    defaultText: '17',
    choices: POSTGRES_VERSIONS.map((v) => ({ value: String(v), name: `Postgres ${v}`, hint: '' })),
    when: (a) => a.database === 'postgres',
    fallback: () => 17,
    parse: (raw) => {
      const text = typeof raw === 'number' ? String(raw) : asString('postgres-version', raw);
      const version = Number(text);
      if (!(POSTGRES_VERSIONS as readonly number[]).includes(version)) {
        throw new AnswerError('postgres-version', `${describe(raw)} is not supported; choose one of: ${POSTGRES_VERSIONS.join(', ')}`);
      }
      return version;
    },
  },
  {
    key: 'migrations',
    flag: 'migrations',
    kind: 'choice',
    question: 'Database migrations before the app starts',
    hint: 'runs once as the "migrate" service; the app waits for it',
    defaultText: 'detected (alembic.ini, migrations/, manage.py), else none',
    choices: [
      { value: 'none', name: 'None', hint: '' },
      { value: 'alembic', name: 'alembic upgrade head', hint: '' },
      { value: 'flask-db', name: 'flask db upgrade (Flask-Migrate)', hint: '' },
      { value: 'django', name: DJANGO_MIGRATE.join(' '), hint: '' },
      { value: 'custom', name: 'A custom command', hint: '' },
    ],
    when: (a) => a.database !== undefined && a.database !== 'none',
    fallback: (a, d) => (a.database !== 'none' ? (d.migrations ?? (a.framework === 'django' ? 'django' : 'none')) : 'none'),
    parse: (raw) => parseChoice('migrations', raw, OPTIONS.find((o) => o.key === 'migrations')!.choices!) as Answers['migrations'],
  },
  {
    key: 'migrateCommand',
    flag: 'migrate-command',
    kind: 'string',
    question: 'Migration command',
    hint: 'runs in the app image, e.g. "python -m app.migrate"',
    defaultText: 'none',
    when: (a) => a.migrations === 'custom',
    fallback: () => '',
    parse: (raw) => parseCommand('migrate-command', raw, true),
  },
  {
    key: 'collectStatic',
    flag: 'collectstatic',
    kind: 'boolean',
    question: 'Collect static files at build time (manage.py collectstatic)?',
    hint: 'Django: STATIC_ROOT is filled in the build, with throw-away settings that never reach the image',
    defaultText: 'yes when the settings set STATIC_ROOT',
    when: (a) => a.framework === 'django',
    fallback: (a, d) => a.framework === 'django' && (d.collectStatic ?? false),
    parse: (raw) => parseBoolean('collectstatic', raw),
  },
  ...SIDE_SERVICE_OPTIONS,
  ...PROXY_OPTIONS,
  {
    key: 'env',
    flag: 'env',
    kind: 'list',
    question: 'Settings for the app',
    hint: `NAME=VALUE for app, worker and migrate (repeatable); placeholders ${placeholderList().join(' ')}`,
    defaultText: 'the variables the code reads whose meaning is plain (DATABASE_URL, SECRET_KEY, REDIS_URL, ...)',
    flagOnly: true,
    fallback: (a, _d, facts) => wireDetected(a, facts),
    parse: (raw) => parseEnvList(raw),
    combine: (fallback, given) => parseEnvList([...((fallback as string[] | undefined) ?? []), ...(given as string[])]),
  },
  {
    key: 'stateDirs',
    flag: 'state-dir',
    kind: 'list',
    question: 'Writable directories',
    hint: 'a path the app writes at run time (repeatable): a named volume over it, the rest stays read-only',
    defaultText: 'detected (Flask instance folder, sqlite files, upload folders)',
    flagOnly: true,
    fallback: (_a, d) => d.stateDirs ?? [],
    parse: (raw) => parseStateDirs(raw),
    combine: (fallback, given) => parseStateDirs([...((fallback as string[] | undefined) ?? []), ...(given as string[])]),
  },
  {
    key: 'libpq',
    flag: 'libpq',
    kind: 'boolean',
    question: 'Build against libpq (psycopg2 from source, psycopg 3)?',
    hint: 'libpq-dev and a compiler in the builder, only libpq5 in the runtime image',
    defaultText: 'detected from the dependencies, else no',
    when: (a) => a.database === 'postgres',
    fallback: (_a, d) => d.libpq ?? false,
    parse: (raw) => parseBoolean('libpq', raw),
  },
  {
    key: 'nativeBuild',
    flag: 'native-build',
    kind: 'boolean',
    question: 'Do some dependencies compile C code (no wheel available)?',
    hint: 'gcc and libc headers in the builder stage only',
    defaultText: 'yes with --libpq, else no',
    fallback: (a, d) => d.nativeBuild ?? a.libpq ?? false,
    parse: (raw) => parseBoolean('native-build', raw),
  },
  {
    key: 'gpu',
    flag: 'gpu',
    kind: 'choice',
    question: 'GPU access for the app',
    hint: 'none, render (Intel/AMD /dev/dri + host render group) or nvidia; lives in docker-compose.gpu.yml',
    defaultText: 'none',
    choices: [
      { value: 'none', name: 'None', hint: '' },
      { value: 'render', name: 'render: Intel/AMD via /dev/dri and the host render group', hint: '' },
      { value: 'nvidia', name: 'nvidia: NVIDIA Container Toolkit device reservation', hint: '' },
    ],
    fallback: () => 'none',
    parse: (raw) => parseChoice('gpu', raw, OPTIONS.find((o) => o.key === 'gpu')!.choices!) as Answers['gpu'],
  },
  {
    key: 'gpuServices',
    flag: 'gpu-services',
    kind: 'string',
    question: 'Which services get the GPU?',
    hint: 'comma-separated: app, worker (the worker needs --worker)',
    defaultText: 'app',
    when: (a) => a.gpu !== undefined && a.gpu !== 'none' && Boolean(a.worker),
    fallback: () => 'app',
    parse: (raw) => parseGpuServices(raw),
  },
  {
    key: 'cpus',
    flag: 'cpus',
    kind: 'string',
    question: 'CPU limit for the app (cores)',
    hint: 'e.g. 0.5, 1.0, 2',
    defaultText: '1.0',
    fallback: () => '1.0',
    parse: (raw) => {
      const text = asString('cpus', raw);
      const value = Number(text);
      if (!CPUS_RE.test(text) || !(value >= 0.05 && value <= 256)) {
        throw new AnswerError('cpus', `${describe(raw)} is not allowed; give a number of cores from 0.05 to 256 (e.g. "1.0")`);
      }
      return text;
    },
  },
  {
    key: 'memory',
    flag: 'memory',
    kind: 'string',
    question: 'Memory limit for the app',
    hint: 'a number with k, m or g, e.g. 512m or 2g',
    defaultText: '512m',
    fallback: () => '512m',
    parse: (raw) => {
      const text = asString('memory', raw).toLowerCase();
      const match = MEMORY_RE.exec(text);
      const bytes = match ? Number(match[1]) * { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2] as 'k' | 'm' | 'g'] : 0;
      if (!match || bytes < 32 * 1024 ** 2 || bytes > 1024 ** 4) {
        throw new AnswerError('memory', `${describe(raw)} is not allowed; give 32m to 1024g as a number with k, m or g (e.g. "512m")`);
      }
      return text;
    },
  },
  {
    key: 'dockerfileSyntax',
    flag: 'dockerfile-syntax',
    kind: 'boolean',
    question: 'Add a "# syntax=docker/dockerfile:1" line?',
    hint: 'pins the BuildKit frontend but pulls it from a registry at build time (fails offline)',
    defaultText: 'no',
    flagOnly: true,
    fallback: () => false,
    parse: (raw) => parseBoolean('dockerfile-syntax', raw),
  },
  {
    key: 'registry',
    flag: 'registry',
    kind: 'string',
    question: 'Registry for the Swarm stack\'s images',
    hint: 'image prefix every Swarm node pulls from, e.g. registry.example.com:5000/team; adds scripts/push.sh',
    defaultText: 'none (local images: a single-node swarm)',
    flagOnly: true,
    fallback: () => '',
    parse: (raw) => {
      if (raw === false || raw === null) return '';
      const text = asString('registry', raw).replace(/\/+$/, '');
      if (text !== '' && (!REGISTRY_RE.test(text) || text.length > 200)) {
        throw new AnswerError('registry', `${describe(raw)} is not an image prefix; give a registry host, optional port and path in lowercase, without a tag (e.g. "registry.example.com:5000/team")`);
      }
      return text;
    },
  },
  CI_OPTION,
  ...DEV_OPTIONS,
  ...KUBE_OPTIONS,
];

export const OPTION_BY_KEY = new Map(OPTIONS.map((o) => [o.key, o]));
export const OPTION_BY_FLAG = new Map(OPTIONS.map((o) => [o.flag, o]));

