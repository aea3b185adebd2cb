/** The parser-based project scanner: what it reports on fixture projects written the way real ones are. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProjectDotenv, scanProject, type EnvRead, type ScanResult } from '../../generators/answers/scan/index.js';
import { repoRoot, tempDir } from '../helpers.js';

const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', name);

/** name -> what a user would be told about it: required or not, and its default. */
function envTable(result: ScanResult): Record<string, { required: boolean; default?: string; how: EnvRead['how'] }> {
  return Object.fromEntries(result.envReads.map((read) => [read.name, { required: read.required, how: read.how, ...(read.default !== undefined ? { default: read.default } : {}) }]));
}

const temps: (() => void)[] = [];
afterAll(() => temps.forEach((cleanup) => cleanup()));

/** A throwaway project from a map of relative path -> source. */
function project(files: Record<string, string>): string {
  const { dir, cleanup } = tempDir('pyimage-scan-');
  temps.push(cleanup);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('scanProject on a Flask tutorial-style factory package', () => {
  const result = scanProject(fixture('scan-flask-tutorial'));

  it('finds the app in flaskr/__init__.py and that it uses the instance folder', () => {
    expect(result.flaskApps).toEqual([{ module: 'flaskr', file: 'flaskr/__init__.py', line: 8, usesInstance: true }]);
  });

  it('follows the upload folder and the sqlite database into the instance folder', () => {
    expect(result.writablePaths).toMatchObject([{ setting: 'UPLOAD_FOLDER', base: 'instance', path: 'uploads', file: 'flaskr/__init__.py' }]);
    // sqlite3.connect(current_app.config["DATABASE"]) with DATABASE set by from_mapping in another file
    expect(result.sqliteUrls).toMatchObject([{ base: 'instance', path: 'flaskr.sqlite', absolute: false, file: 'flaskr/db.py', line: 10 }]);
  });

  it('turns config keys into FLASK_ variables when the factory calls from_prefixed_env()', () => {
    expect(result.prefixedEnv).toEqual([{ prefix: 'FLASK', file: 'flaskr/__init__.py', line: 22 }]);
    expect(envTable(result)).toEqual({
      BLOG_PAGE_SIZE: { required: false, how: 'environ.get', default: '20' },
      FLASK_SECRET_KEY: { required: false, how: 'prefixed-env', default: 'dev' },
      FLASK_DATABASE: { required: false, how: 'prefixed-env' },
      FLASK_UPLOAD_FOLDER: { required: false, how: 'prefixed-env' },
    });
  });

  it('reports no commented-out read, no from_envvar file variable and nothing from tests/', () => {
    const names = result.envReads.map((read) => read.name);
    for (const absent of ['PAGE_SIZE', 'COMMENTED_OUT', 'FLASKR_SETTINGS', 'ONLY_IN_TESTS', 'TEST_DATABASE']) expect(names).not.toContain(absent);
    // conftest.py's in-memory sqlite is in tests/: not seen at all
    expect(result.sqliteUrls.map((url) => url.file)).not.toContain('tests/conftest.py');
  });
});

describe('scanProject on FastAPI with pydantic BaseSettings', () => {
  const result = scanProject(fixture('scan-fastapi-settings'));

  it('reads settings fields as PREFIX + FIELD, required without a default, aliases as written', () => {
    expect(envTable(result)).toEqual({
      // pydantic 2: model_config = SettingsConfigDict(env_prefix="APP_")
      APP_PROJECT_NAME: { required: false, how: 'settings-field', default: 'Items API' },
      APP_DATABASE_URL: { required: true, how: 'settings-field' },
      APP_SECRET_KEY: { required: true, how: 'settings-field' },
      APP_DEBUG: { required: false, how: 'settings-field', default: 'False' },
      APP_ACCESS_TOKEN_EXPIRE_MINUTES: { required: false, how: 'settings-field' },
      APP_UPLOAD_DIR: { required: false, how: 'settings-field', default: '/data/uploads' },
      REDIS_URL: { required: false, how: 'settings-field', default: 'redis://redis:6379/0' },
      SENTRY_DSN: { required: false, how: 'settings-field' },
      APP_ADMIN_EMAILS: { required: false, how: 'settings-field' },
      SMTP_PASSWORD: { required: true, how: 'settings-field' },
      // a subclass of the project's own Settings inherits its prefix
      APP_WORKERS: { required: false, how: 'settings-field', default: '4' },
      // pydantic 1: class Config: env_prefix = "WORKER_"; Field(..., env="RABBITMQ_PASSWORD")
      WORKER_BROKER_HOST: { required: true, how: 'settings-field' },
      RABBITMQ_PASSWORD: { required: true, how: 'settings-field' },
      WORKER_CONCURRENCY: { required: false, how: 'settings-field', default: '2' },
    });
  });

  it('skips names built at run time, and strings that only mention sqlite', () => {
    const names = result.envReads.map((read) => read.name);
    expect(names.filter((name) => /LOG|FEATURE|COMMENTED|API_V1|CACHE/.test(name))).toEqual([]);
    expect(result.sqliteUrls).toEqual([]);
  });

  it('finds the asyncpg driver scheme, arq, and the absolute upload folder', () => {
    expect(result.driverSchemes).toEqual(['postgresql+asyncpg']);
    expect(result.queueLibraries).toEqual(['arq']);
    expect(result.writablePaths).toMatchObject([{ setting: 'upload_dir', base: 'absolute', path: '/data/uploads' }]);
    expect(result.flaskApps).toEqual([]);
    expect(result.celeryApps).toEqual([]);
  });
});

describe('scanProject on a Flask-Migrate app configured from DBHOST/DBUSER/...', () => {
  const result = scanProject(fixture('scan-flask-migrate'));
  const table = envTable(result);

  it('marks unguarded os.environ[...] as required, wherever it is written', () => {
    for (const name of ['DBUSER', 'DBPASS', 'DBHOST', 'DBNAME', 'WEBSITE_HOSTNAME', 'DBPORT']) {
      expect(table[name], name).toEqual({ required: true, how: 'environ[]' });
    }
    // DBUSER is read in development.py (line 10) before production.py: the first read is kept
    expect(result.envReads.find((read) => read.name === 'DBUSER')).toMatchObject({ file: 'azureproject/development.py', line: 10 });
  });

  it('does not mark guarded reads as required: try/except KeyError, if "X" in os.environ, conditional expression', () => {
    expect(table.SENTRY_DSN).toEqual({ required: false, how: 'environ[]' });
    expect(table.CACHE_URL).toEqual({ required: false, how: 'environ[]' });
    expect(table.STATSD_HOST).toEqual({ required: false, how: 'environ[]' });
  });

  it('reads getenv / environ.get defaults, including `or "default"`', () => {
    // getenv("SECRET_KEY") in production.py, os.environ.get("SECRET_KEY") or "..." in config.py: the default is kept
    expect(table.SECRET_KEY).toEqual({ required: false, how: 'environ.get', default: 'you-will-never-guess' });
    expect(table.MAIL_PORT).toEqual({ required: false, how: 'getenv', default: '25' });
    expect(table.DATABASE_URL).toEqual({ required: false, how: 'environ.get' });
    expect(table.REDIS_URL).toEqual({ required: false, how: 'environ.get', default: 'redis://localhost:6379' });
    // migrations/env.py is kept: alembic reads the database URL there
    expect(table.MIGRATIONS_DATABASE_URL).toEqual({ required: false, how: 'environ.get', default: 'sqlite:////var/lib/app/app.db' });
  });

  it('ignores writes to os.environ and a virtualenv inside the project', () => {
    expect(table.SET_NOT_READ).toBeUndefined();
    expect(table.ONLY_IN_VIRTUALENV).toBeUndefined();
  });

  it("follows 'sqlite:///' + os.path.join(basedir, 'app.db') to the project root", () => {
    expect(result.sqliteUrls).toMatchObject([
      { url: 'sqlite:///{project}/app.db', base: 'project', path: 'app.db', absolute: false, file: 'config.py' },
      { url: 'sqlite:////var/lib/app/app.db', base: 'absolute', path: '/var/lib/app/app.db', absolute: true, file: 'migrations/env.py' },
    ]);
  });

  it('finds upload folders (relative, and project-relative behind an env override) but not MAX_UPLOAD_SIZE', () => {
    expect(result.writablePaths.map(({ setting, base, path, env, file }) => ({ setting, base, path, env, file }))).toEqual([
      { setting: 'UPLOAD_FOLDER', base: 'cwd', path: 'static/uploads', env: undefined, file: 'app.py' },
      { setting: 'UPLOAD_FOLDER', base: 'project', path: 'uploads', env: 'UPLOAD_FOLDER', file: 'config.py' },
    ]);
  });

  it('finds the app, rq and both psycopg driver schemes', () => {
    expect(result.flaskApps).toEqual([{ module: 'app', file: 'app.py', line: 10, usesInstance: false }]);
    expect(result.queueLibraries).toEqual(['rq']);
    expect(result.driverSchemes).toEqual(['postgresql+psycopg', 'postgresql+psycopg2']);
  });
});

describe('scanProject on a src-layout Flask app with Celery and make_celery.py', () => {
  const result = scanProject(fixture('scan-src-celery'));

  it('gives celery -A the module beside src/ that takes the app from flask_app.extensions', () => {
    expect(result.celeryApps).toEqual([{ module: 'make_celery', attribute: 'celery_app', file: 'make_celery.py', line: 4 }]);
  });

  it('strips src/ from the Flask module and resolves a __file__-relative upload folder', () => {
    expect(result.flaskApps).toEqual([{ module: 'taskapp', file: 'src/taskapp/__init__.py', line: 19, usesInstance: false }]);
    expect(result.writablePaths).toMatchObject([{ setting: 'UPLOAD_DIR', base: 'project', path: 'src/taskapp/uploads' }]);
  });

  it('names nested FLASK_CELERY__key variables for the CELERY dict', () => {
    expect(envTable(result)).toEqual({
      FLASK_CELERY__broker_url: { required: false, how: 'prefixed-env', default: 'redis://localhost' },
      FLASK_CELERY__result_backend: { required: false, how: 'prefixed-env', default: 'redis://localhost' },
      FLASK_CELERY__task_ignore_result: { required: false, how: 'prefixed-env', default: 'True' },
    });
  });
});

describe('scanProject on a Django project', () => {
  const result = scanProject(fixture('scan-django'));

  it('reads django-environ and python-decouple, with Env(X=(type, default)) defaults', () => {
    expect(envTable(result)).toEqual({
      SECRET_KEY: { required: true, how: 'config-from-env' },
      DEBUG: { required: false, how: 'config-from-env', default: 'False' },
      ALLOWED_HOSTS: { required: false, how: 'config-from-env' },
      CELERY_BROKER_URL: { required: false, how: 'config-from-env', default: 'redis://redis:6379/0' },
      // env.email() reads EMAIL_URL and fails without it
      EMAIL_URL: { required: true, how: 'config-from-env' },
      DATABASE_URL: { required: false, how: 'config-from-env' },
      MEDIA_ROOT: { required: false, how: 'config-from-env' },
      DJANGO_DEBUG: { required: false, how: 'config-from-env', default: 'True' },
      INTERNAL_IPS: { required: false, how: 'config-from-env', default: '127.0.0.1' },
      EMAIL_HOST_PASSWORD: { required: true, how: 'config-from-env' },
    });
  });

  it('resolves BASE_DIR-relative folders and sqlite files, also through `from .settings import *`', () => {
    expect(result.writablePaths.map(({ setting, base, path, file }) => `${file}: ${setting} ${base}:${path}`)).toEqual([
      'mysite/settings.py: STATIC_ROOT project:staticfiles',
      'mysite/settings.py: MEDIA_ROOT project:media',
      'mysite/settings_dev.py: MEDIA_ROOT project:media-dev',
    ]);
    expect(result.sqliteUrls.map(({ base, path, file }) => `${file}: ${base}:${path}`)).toEqual([
      'mysite/settings.py: project:db.sqlite3', // f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
      'mysite/settings_dev.py: project:dev.sqlite3', // ENGINE django.db.backends.sqlite3
    ]);
  });

  it('finds the Celery app in mysite/celery.py', () => {
    expect(result.celeryApps).toEqual([{ module: 'mysite.celery', attribute: 'app', file: 'mysite/celery.py', line: 7 }]);
    expect(result.flaskApps).toEqual([]);
  });
});

describe('scanProject spellings and edge cases', () => {
  it('follows import aliases and reports one read per name, required winning', () => {
    const dir = project({
      'svc.py': [
        'import os as o',
        'from os import environ as E',
        'a = o.getenv("TOKEN")',
        'b = E["TOKEN"]',
        'c = E.get(r"RAW_NAME", default="x")',
        'E["WRITTEN"] = "1"',
        'del E["DELETED"]',
        'd = o.environ.setdefault("SET_DEFAULT", "1")',
      ].join('\n'),
    });
    expect(envTable(scanProject(dir))).toEqual({
      TOKEN: { required: true, how: 'environ[]' },
      RAW_NAME: { required: false, how: 'environ.get', default: 'x' },
    });
  });

  it('reads inside f-strings, and reads from dotenv_values(".env") as dotenv-file', () => {
    const dir = project({
      'db.py': [
        'import os',
        'from dotenv import dotenv_values',
        'URL = f"postgresql+psycopg://{os.environ[\'PGUSER\']}@{os.getenv(\'PGHOST\', \'db\')}/app"',
        'config = dotenv_values(".env")',
        'TOKEN = config["API_TOKEN"]',
        'REGION = config.get("REGION", "eu")',
      ].join('\n'),
    });
    const result = scanProject(dir);
    expect(envTable(result)).toEqual({
      PGUSER: { required: true, how: 'environ[]' },
      PGHOST: { required: false, how: 'getenv', default: 'db' },
      API_TOKEN: { required: true, how: 'dotenv-file' },
      REGION: { required: false, how: 'dotenv-file', default: 'eu' },
    });
    expect(result.driverSchemes).toEqual(['postgresql+psycopg']);
  });

  it('treats bare except and except Exception as guards, but not except ValueError', () => {
    const dir = project({
      'guards.py': [
        'import os',
        'try:',
        '    A = os.environ["BARE"]',
        'except:',
        '    A = None',
        'try:',
        '    B = os.environ["BROAD"]',
        'except (ValueError, Exception):',
        '    B = None',
        'try:',
        '    C = int(os.environ["NARROW"])',
        'except ValueError:',
        '    C = 0',
        'D = "GUARDED_AND" in os.environ and os.environ["GUARDED_AND"]',
        'if os.getenv("ONLY_IF"):',
        '    E = os.environ["ONLY_IF"]',
        'if True:',
        '    F = os.environ["UNRELATED_IF"]',
      ].join('\n'),
    });
    const table = envTable(scanProject(dir));
    expect(Object.fromEntries(Object.entries(table).map(([name, read]) => [name, read.required]))).toEqual({
      BARE: false,
      BROAD: false,
      NARROW: true,
      GUARDED_AND: false,
      ONLY_IF: false,
      UNRELATED_IF: true,
    });
  });

  it('keeps the case of fields when case_sensitive=True, and reads starlette Config(".env")', () => {
    const dir = project({
      'settings.py': [
        'from pydantic_settings import BaseSettings',
        'from starlette.config import Config',
        'config = Config(".env")',
        'DEBUG = config("DEBUG", cast=bool, default=False)',
        'KEY = config("STARLETTE_KEY")',
        'class S(BaseSettings):',
        '    model_config = {"case_sensitive": True, "env_prefix": "my_"}',
        '    Mixed_Case: str',
      ].join('\n'),
    });
    expect(envTable(scanProject(dir))).toEqual({
      DEBUG: { required: false, how: 'config-from-env', default: 'False' },
      STARLETTE_KEY: { required: true, how: 'config-from-env' },
      my_Mixed_Case: { required: true, how: 'settings-field' },
    });
  });

  it('does not take a class that merely ends in Settings for pydantic settings', () => {
    const dir = project({ 'cfg.py': 'class RedisSettings:\n    host: str\n\nclass Local(RedisSettings):\n    port: int\n' });
    expect(scanProject(dir).envReads).toEqual([]);
  });

  it('reports sqlite URLs only for literals that are URLs, not for mentions or in-memory databases', () => {
    const dir = project({
      'db.py': [
        'MEMORY = "sqlite://"',
        'MEMORY2 = "sqlite:///:memory:"',
        'DOC = "use sqlite:///app.db in development"',
        'ASYNC = "sqlite+aiosqlite:///./data/app.db"',
        '# URL = "sqlite:///commented.db"',
        'ABS = "sqlite:////srv/app/app.db"',
      ].join('\n'),
    });
    const result = scanProject(dir);
    expect(result.sqliteUrls.map(({ url, path, absolute, line }) => ({ url, path, absolute, line }))).toEqual([
      { url: 'sqlite+aiosqlite:///./data/app.db', path: 'data/app.db', absolute: false, line: 4 },
      { url: 'sqlite:////srv/app/app.db', path: '/srv/app/app.db', absolute: true, line: 6 },
    ]);
    expect(result.driverSchemes).toEqual(['sqlite+aiosqlite']);
  });

  it('leaves a path it cannot follow as unknown, with the expression to show', () => {
    const dir = project({ 'app.py': 'UPLOAD_FOLDER = get_upload_folder()\nMEDIA_ROOT = "/srv/media"\n' });
    expect(scanProject(dir).writablePaths.map(({ setting, base, path, source }) => ({ setting, base, path, source }))).toEqual([
      { setting: 'UPLOAD_FOLDER', base: 'unknown', path: '', source: 'get_upload_folder()' },
      { setting: 'MEDIA_ROOT', base: 'absolute', path: '/srv/media', source: '"/srv/media"' },
    ]);
  });

  it('finds a Celery app built by a factory and assigned at module level', () => {
    const dir = project({
      'proj/factory.py': 'from celery import Celery\n\ndef make_worker(name):\n    return Celery(name)\n',
      'proj/worker.py': 'from proj.factory import make_worker\n\nqueue = make_worker("proj")\n',
    });
    expect(scanProject(dir).celeryApps).toEqual([{ module: 'proj.worker', attribute: 'queue', file: 'proj/worker.py', line: 3 }]);
  });
});

describe('readProjectDotenv', () => {
  it('warns about a .env outside .gitignore that holds secrets, naming keys but never values', () => {
    const [env, flaskenv] = readProjectDotenv(fixture('scan-flask-tutorial'));
    expect(env!.file).toBe('.env');
    expect(env!.values.FLASK_SECRET_KEY).toBe('5f352379324c22463451387a0aec5d2f');
    expect(env!.gitignored).toBe(false);
    const text = env!.warnings.join('\n');
    expect(text).toMatch(/\.env is not in \.gitignore and holds secrets \(FLASK_SECRET_KEY, DATABASE_URL\)/);
    expect(text).not.toMatch(/MAIL_PASSWORD/); // changeme is a placeholder
    expect(text).not.toMatch(/5f352379|s3cretpw/);
    expect(text).toMatch(/points DATABASE_URL at localhost/);
    expect(flaskenv).toEqual({ file: '.flaskenv', values: { FLASK_APP: 'flaskr', FLASK_DEBUG: '1' }, gitignored: false, warnings: [] });
  });

  it('does not warn about secrets in a gitignored .env, but still about localhost', () => {
    const [env] = readProjectDotenv(fixture('scan-django'));
    expect(env!.gitignored).toBe(true);
    expect(env!.warnings).toEqual([expect.stringMatching(/^\.env points DATABASE_URL at localhost/)]);
    expect(readProjectDotenv(fixture('scan-fastapi-settings'))[0]!.warnings).toEqual([expect.stringMatching(/points REDIS_URL at localhost/)]);
  });

  it('returns nothing for a project without .env files', () => {
    expect(readProjectDotenv(fixture('scan-src-celery'))).toEqual([]);
  });
});
