/**
 * Detection in an existing project: reads dependency files and Python sources to fill defaults,
 * and says what it found (and what it cannot handle yet) in plain notes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Answers } from './types.js';
import { PYTHON_VERSIONS, type ProjectFacts } from './schema.js';
import { readProjectDotenv, scanProject, type ScanResult } from './scan/index.js';
import { detectStateDirs } from './state-detect.js';
import { detectDjango, findManagePy } from './django.js';
import { detectApp } from './app-detect.js';
import { detectDevDeps } from './dev-options.js';

export interface Detection {
  answers: Partial<Answers>;
  /** What the project depends on and reads, for defaults that depend on other answers. */
  facts: ProjectFacts;
  /** The scanner's findings (undefined for an empty folder). */
  scan?: ScanResult;
  /** One line per finding, for the user. */
  notes: string[];
  /** Problems that stop generation in non-interactive mode unless answered (e.g. an unsupported manager). */
  warnings: string[];
}


/** PEP 503 normalised name of a requirement line or PEP 508 string: "Flask[async]>=2" -> "flask". */
export function requirementName(spec: string): string | undefined {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec);
  return match ? match[1]!.toLowerCase().replace(/[-_.]+/g, '-') : undefined;
}

function requirementExtras(spec: string): string[] {
  const match = /^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*\[([^\]]*)\]/.exec(spec);
  return match ? match[1]!.split(',').map((e) => e.trim().toLowerCase()) : [];
}

function readRequirements(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file) || !existsSync(file)) return [];
  seen.add(file);
  const specs: string[] = [];
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const include = /^-(?:r|-requirement)\s*=?\s*(\S+)/.exec(line);
    if (include) {
      specs.push(...readRequirements(join(file, '..', include[1]!), seen));
      continue;
    }
    if (line.startsWith('-')) continue;
    specs.push(line);
  }
  return specs;
}

/** Distributions that mean a Redis broker or cache (with an extra where the library supports several). */
const REDIS_LIBS = ['redis', 'rq', 'arq', 'django-rq', 'flask-rq2', 'rq-scheduler', 'django-redis', 'aioredis', 'huey'];
const REDIS_EXTRAS = ['celery', 'dramatiq', 'kombu', 'huey'];

/** The dependency file the image installs from (uv, PEP 621 pyproject, requirements) and its specs. */
function readDependencies(projectDir: string, answers: Partial<Answers>, notes: string[], warnings: string[]): { specs: string[]; requirementsFile?: string } {
  let specs: string[] = [];
  const has = (file: string) => existsSync(join(projectDir, file));
  const requirementFiles = ['requirements.txt', 'requirements/prod.txt', 'requirements/production.txt', 'requirements/base.txt', 'requirements-prod.txt'];
  const requirementsFile = requirementFiles.find(has);
  if (has('uv.lock') && has('pyproject.toml')) {
    answers.deps = 'uv';
    notes.push('found pyproject.toml + uv.lock: dependencies installed with uv sync --frozen');
  } else if (has('poetry.lock')) {
    warnings.push('found poetry.lock: Poetry is not supported yet; export with `poetry export -o requirements.txt` and use --deps requirements, or use --deps pyproject if pyproject.toml has a [project] table');
  }
  if (has('pyproject.toml')) {
    try {
      const pyproject = parseToml(readFileSync(join(projectDir, 'pyproject.toml'), 'utf8')) as {
        project?: { dependencies?: string[]; name?: string; 'requires-python'?: string };
        'build-system'?: { 'build-backend'?: string };
        tool?: Record<string, unknown>;
      };
      const deps = pyproject.project?.dependencies;
      if (Array.isArray(deps)) {
        specs = deps.filter((d): d is string => typeof d === 'string');
        answers.deps ??= 'pip-pyproject';
        notes.push(`found pyproject.toml with ${specs.length} PEP 621 dependencies` + (pyproject['build-system']?.['build-backend'] ? ` (build backend ${pyproject['build-system']['build-backend']})` : ' (no build-system: pip uses setuptools)'));
      } else if (pyproject.tool?.poetry) {
        warnings.push('pyproject.toml uses [tool.poetry] without a PEP 621 [project] table: Poetry is not supported yet');
      }
    } catch (error) {
      warnings.push(`pyproject.toml could not be read: ${(error as Error).message}`);
    }
  }
  if (specs.length === 0 && requirementsFile) {
    specs = readRequirements(join(projectDir, requirementsFile));
    answers.deps = 'requirements';
    answers.requirementsFile = requirementsFile;
    notes.push(`found ${requirementsFile} with ${specs.length} requirements`);
  } else if (requirementsFile && answers.deps === 'pip-pyproject') {
    notes.push(`found ${requirementsFile} too; using pyproject.toml (choose with --deps requirements)`);
  }

  return { specs, requirementsFile };
}

export function detectProject(projectDir: string): Detection {
  const answers: Partial<Answers> = {};
  const notes: string[] = [];
  const warnings: string[] = [];
  const has = (file: string) => existsSync(join(projectDir, file));

  const dirName = basename(projectDir).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+|-+$/g, '');
  if (dirName) answers.name = dirName.slice(0, 63).replace(/-+$/, '');

  const { specs, requirementsFile } = readDependencies(projectDir, answers, notes, warnings);

  const names = new Map(specs.map((s) => [requirementName(s) ?? '', s]));
  const fromDeps = names.has('fastapi') ? 'fastapi' : names.has('flask') ? 'flask' : names.has('uvicorn') || names.has('starlette') ? 'asgi' : names.has('django') ? 'django' : names.has('gunicorn') ? 'wsgi' : undefined;

  const pgDriver =
    ['psycopg2', 'psycopg2-binary', 'psycopg', 'psycopg-binary', 'asyncpg', 'pg8000'].find((n) => names.has(n)) ??
    // `databases[asyncpg]`, `databases[postgresql]`: the driver comes as an extra.
    (names.has('databases') && requirementExtras(names.get('databases')!).some((e) => ['asyncpg', 'postgresql', 'aiopg'].includes(e)) ? 'databases' : undefined);
  if (pgDriver) {
    answers.postgres = true;
    const extras = requirementExtras(names.get(pgDriver)!);
    // psycopg2 (source) compiles against libpq; psycopg 3 without [binary] loads libpq at run time.
    answers.libpq = pgDriver === 'psycopg2' || (pgDriver === 'psycopg' && !extras.includes('binary'));
    notes.push(`Postgres driver ${pgDriver}: adding a Postgres service` + (answers.libpq ? '; libpq-dev in the builder and libpq5 at run time' : ''));
  }

  // mysqlclient is MySQLdb (Django's choice); PyMySQL is pure Python. Either means a MySQL-compatible database.
  const mysqlDriver = (['mysqlclient', 'pymysql'] as const).find((n) => names.has(n));
  if (mysqlDriver) answers.mysqlDriver = mysqlDriver;
  if (mysqlDriver && !pgDriver) {
    answers.database = 'mariadb';
    notes.push(`MySQL driver ${mysqlDriver}: adding a MariaDB service` + (mysqlDriver === 'mysqlclient' ? '; the MariaDB client headers in the builder and libmariadb3 at run time' : ''));
  }

  // The framework by evidence: the app object the code builds (or the project's run command names),
  // then the dependencies; a manage.py counts for Django only when it runs Django (below).
  const app = detectApp(projectDir);
  Object.assign(answers, app.answers);
  const framework = app.framework && (specs.length === 0 || names.has(app.framework === 'asgi' ? 'starlette' : app.framework) || app.framework === 'asgi') ? app.framework : fromDeps;
  if (framework) {
    answers.framework = framework;
    notes.push(`framework ${framework}: ` + (framework === app.framework ? `the app is built with ${framework === 'asgi' ? 'Starlette' : framework}` : 'from the dependencies'));
  }
  notes.push(...app.notes);
  for (const manage of findManagePy(projectDir).filter((m) => m.kind === 'flask')) {
    notes.push(`${manage.rel} is a Flask command line (it ${manage.evidence}), not Django's`);
  }

  if (has('alembic.ini')) {
    answers.migrations = 'alembic';
    notes.push('found alembic.ini: migrations run with `alembic upgrade head`');
  } else if (has('migrations/env.py') && (names.has('flask-migrate') || has('migrations/alembic.ini'))) {
    answers.migrations = 'flask-db';
    notes.push('found a Flask-Migrate migrations/ folder: migrations run with `flask db upgrade`');
  }

  const facts: ProjectFacts = { dependencies: specs.length > 0 || requirementsFile || answers.deps === 'pip-pyproject' ? [...names.keys()] : undefined, app: app.facts };

  const redisLib = REDIS_LIBS.find((n) => names.has(n)) ?? REDIS_EXTRAS.find((n) => names.has(n) && requirementExtras(names.get(n)!).includes('redis'));
  if (redisLib) {
    answers.redis = true;
    notes.push(`${redisLib}${REDIS_EXTRAS.includes(redisLib) ? '[redis]' : ''} in the dependencies: adding a Redis service`);
  }

  // A src layout installed from requirements is not on the import path: add src/ to PYTHONPATH.
  if (answers.deps === 'requirements' && app.srcLayout) {
    answers.pythonPath = 'src';
    notes.push('src layout installed from requirements: PYTHONPATH=/app/src');
  }

  let scan: ScanResult | undefined;
  if (existsSync(projectDir)) {
    scan = scanProject(projectDir);
    Object.assign(facts, {
      envReads: scan.envReads,
      prefixedEnv: scan.prefixedEnv.map((p) => p.prefix),
      driverSchemes: scan.driverSchemes,
    });
    const state = detectStateDirs(scan, {
      deps: answers.deps,
      pythonPath: answers.pythonPath ?? '',
      flaskSqlalchemy: names.has('flask-sqlalchemy'),
    });
    if (state.dirs.length > 0) answers.stateDirs = state.dirs;
    notes.push(...state.notes);
    if (!answers.redis && scan.queueLibraries.some((q) => q !== 'dramatiq')) {
      answers.redis = true;
      notes.push(`the code uses ${scan.queueLibraries.join(', ')}: adding a Redis service`);
    }
    for (const celery of scan.celeryApps.slice(0, 1)) {
      notes.push(`Celery app ${celery.module}:${celery.attribute} (${celery.file}:${celery.line}): run it with --worker "celery -A ${celery.module}:${celery.attribute} worker --loglevel INFO"`);
    }
    for (const file of readProjectDotenv(projectDir)) warnings.push(...file.warnings);
  }

  const django = detectDjango(projectDir, facts.dependencies, scan);
  if (django) {
    Object.assign(answers, django.answers);
    delete facts.app?.notFound;
    facts.django = django.facts;
    notes.push(...django.notes);
  }

  const dev = detectDevDeps(projectDir, answers.deps);
  if (dev.devDeps) answers.devDeps = dev.devDeps;
  if (dev.note) notes.push(dev.note);

  if (has('.python-version')) {
    const version = /^(\d+\.\d+)/.exec(readFileSync(join(projectDir, '.python-version'), 'utf8').trim())?.[1];
    if (version && (PYTHON_VERSIONS as readonly string[]).includes(version)) {
      answers.pythonVersion = version as Answers['pythonVersion'];
      notes.push(`Python ${version} from .python-version`);
    }
  }
  return { answers, facts, scan, notes, warnings };
}
