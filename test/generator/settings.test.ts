/**
 * The settings contract and writable state (issue 9): what detection finds in real-project patterns,
 * what it wires by default, how values reach compose (secrets only as tokens), and the entrypoint
 * that fills them at start.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { detectProject } from '../../generators/answers/detect.js';
import { parseStateDirs, stateVolumeName } from '../../generators/answers/settings.js';
import { flaskInstancePath } from '../../generators/answers/state-detect.js';
import { wireDetected } from '../../generators/answers/wiring.js';
import { entrypointSource, resolveAppEnv } from '../../generators/render/app-env.js';
import { renderProject } from '../../generators/render/index.js';
import { answersFor } from '../../generators/render/matrix.js';
import { repoRoot, runCli, tempDir } from '../helpers.js';

const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', name);

describe('detection in real-project patterns', () => {
  it('a pyproject Flask factory in src/: no server in the dependencies, instance folder of the installed package', () => {
    const d = detectProject(fixture('e2e-flask-instance'));
    expect(d.facts.dependencies).toEqual(['flask']);
    expect(d.answers.stateDirs).toEqual(['/opt/venv/var/notes-instance']);
    expect(d.answers.deps).toBe('pip-pyproject');
  });

  it('FastAPI with databases[asyncpg]: Postgres, and DATABASE_URL required at import', () => {
    const d = detectProject(fixture('e2e-fastapi-databases'));
    expect(d.answers.postgres).toBe(true);
    expect(d.answers.libpq).toBe(false);
    expect(d.facts.envReads?.find((r) => r.name === 'DATABASE_URL')).toMatchObject({ required: true, file: 'app/main.py' });
  });

  it('a project .env pointing at localhost draws a warning; DB* variables are required', () => {
    const d = detectProject(fixture('e2e-flask-migrate-dbvars'));
    expect(d.warnings.join('\n')).toMatch(/\.env points DBHOST at localhost/);
    expect(d.facts.envReads?.filter((r) => r.required).map((r) => r.name)).toEqual(['DBHOST', 'DBNAME', 'DBPASS', 'DBUSER']);
  });

  it('src layout from requirements with celery[redis]: PYTHONPATH, Redis, and the Celery app to run', () => {
    const d = detectProject(fixture('e2e-src-celery'));
    expect(d.answers.pythonPath).toBe('src');
    expect(d.answers.redis).toBe(true);
    expect(d.notes.join('\n')).toMatch(/--worker "celery -A make_celery:celery_app worker --loglevel INFO"/);
  });

  it("Flask's instance folder lives where Flask looks for it", () => {
    const install = (deps: 'requirements' | 'pip-pyproject', pythonPath = '') => ({ deps, pythonPath, flaskSqlalchemy: false });
    expect(flaskInstancePath('flaskr', 'src/flaskr/__init__.py', install('pip-pyproject'))).toBe('/opt/venv/var/flaskr-instance');
    // A flat package is imported from /app (the working directory shadows the installed copy).
    expect(flaskInstancePath('flaskr', 'flaskr/__init__.py', install('pip-pyproject'))).toBe('/app/instance');
    expect(flaskInstancePath('app', 'app.py', install('requirements'))).toBe('/app/instance');
    expect(flaskInstancePath('flaskr', 'src/flaskr/__init__.py', install('requirements', 'src'))).toBe('/app/src/instance');
  });

  it('a read in a helper runs when called: optional; in the app factory or at import: required', () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'requirements.txt'), 'flask\n');
      writeFileSync(
        join(dir, 'app.py'),
        'import os\nfrom flask import Flask\nTOKEN = os.environ["AT_IMPORT"]\n\ndef create_app():\n    app = Flask(__name__)\n    app.config["X"] = os.environ["IN_FACTORY"]\n    return app\n\n' +
          'def report():\n    return os.environ["WHEN_CALLED"]\n',
      );
      const reads = Object.fromEntries((detectProject(dir).facts.envReads ?? []).map((r) => [r.name, r.required]));
      expect(reads).toEqual({ AT_IMPORT: true, IN_FACTORY: true, WHEN_CALLED: false });
    } finally {
      cleanup();
    }
  });

  it('sqlite and upload folders: relative to the project become volumes under /app; a file beside the code is a note', () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, 'app'));
      writeFileSync(join(dir, 'requirements.txt'), 'flask\nsqlalchemy\n');
      writeFileSync(
        join(dir, 'app', '__init__.py'),
        'import os\nfrom flask import Flask\napp = Flask(__name__)\napp.config["UPLOAD_FOLDER"] = "/data/uploads"\n' +
          'engine_url = "sqlite:////var/lib/app/app.db"\nother = "sqlite:///local.db"\n',
      );
      const d = detectProject(dir);
      expect(d.answers.stateDirs).toEqual(expect.arrayContaining(['/var/lib/app', '/data/uploads']));
      expect(d.notes.join('\n')).toMatch(/sqlite:\/\/\/local\.db .* is directly in \/app, beside the code: .*--state-dir/);
    } finally {
      cleanup();
    }
  });
});

describe('default wiring: only names whose meaning is plain', () => {
  const read = (name: string) => ({ name, file: 'a.py', line: 1, how: 'getenv', required: false });
  it('database, secret key and broker URLs; nothing else', () => {
    const facts = { envReads: ['DATABASE_URL', 'SECRET_KEY', 'CELERY_BROKER_URL', 'MAIL_SERVER'].map(read) };
    expect(wireDetected({ postgres: true, redis: true }, facts)).toEqual(['DATABASE_URL={db.url}', 'SECRET_KEY={secret.secret_key}', 'CELERY_BROKER_URL={redis.url}']);
    // No database or broker in the stack: those stay the user's.
    expect(wireDetected({ postgres: false, redis: false }, facts)).toEqual(['SECRET_KEY={secret.secret_key}']);
  });
  it('a driver-qualified scheme where the code asks for one', () => {
    expect(wireDetected({ postgres: true }, { envReads: [read('DATABASE_URL')], driverSchemes: ['postgresql+asyncpg'] })).toEqual([
      'DATABASE_URL=postgresql+asyncpg://{db.user}:{db.password}@{db.host}:{db.port}/{db.name}',
    ]);
  });
  it("Flask's from_prefixed_env: FLASK_SECRET_KEY and FLASK_SQLALCHEMY_DATABASE_URI", () => {
    expect(wireDetected({ postgres: true }, { prefixedEnv: ['FLASK'] })).toEqual(['FLASK_SECRET_KEY={secret.secret_key}', 'FLASK_SQLALCHEMY_DATABASE_URI={db.url}']);
  });
});

describe('settings in compose: plain facts as values, secrets as tokens', () => {
  const a = answersFor({
    framework: 'flask',
    appModule: 'app:app',
    postgres: true,
    redis: true,
    env: ['DBHOST={db.host}', 'DBPASS={db.password}', 'URL=postgres://{db.user}:{db.password}@{db.host}/{db.name}', 'API_TOKEN={secret.api_token}', 'PRICE=5$'],
  });
  it('resolves each placeholder; a password in a URL is percent-encoded, $ is escaped for compose', () => {
    expect(Object.fromEntries(resolveAppEnv(a).map((e) => [e.name, e.value]))).toEqual({
      DBHOST: 'db',
      DBPASS: '{secret:db_password}',
      URL: 'postgres://demo_service:{secret-url:db_password}@db/demo_service',
      API_TOKEN: '{secret:api_token}',
      PRICE: '5$$',
    });
  });
  it('every secret a setting reads is a file secret of app, worker and migrate, made by the scripts', () => {
    const files = renderProject(a);
    const compose = parseYaml(files.find((f) => f.path === 'docker-compose.yml')!.content);
    expect(Object.keys(compose.secrets).sort()).toEqual(['api_token', 'db_password', 'redis_password']);
    expect(compose.services.app.secrets).toEqual(['db_password', 'api_token']);
    expect(files.find((f) => f.path === 'scripts/lib.sh')!.content).toContain('readonly SECRET_NAMES=(api_token db_password redis_password)');
  });
  it('the user names and validates state directories; each gets its own volume', () => {
    expect(parseStateDirs(['uploads', '/app/uploads/', '/data/x', '/data/x/y'])).toEqual(['/app/uploads', '/data/x']);
    expect(stateVolumeName('/opt/venv/var/flaskr-instance')).toBe('state-opt-venv-var-flaskr-instance');
  });
});

describe('the entrypoint fills tokens from /run/secrets-like files and execs the command', () => {
  it('raw and URL-encoded, and the command replaces it (same PID)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const secrets = join(dir, 'secrets');
      mkdirSync(secrets);
      writeFileSync(join(secrets, 'db_password'), 'p@ss/w:rd\n');
      // The generated source with its secrets directory pointed at the temp dir.
      const source = entrypointSource('test').replace('"/run/secrets"', JSON.stringify(secrets));
      writeFileSync(join(dir, 'entrypoint.py'), source);
      const out = execFileSync('python3', [join(dir, 'entrypoint.py'), 'python3', '-c', 'import os; print(os.getpid(), os.environ["URL"], os.environ["RAW"])'], {
        env: { PATH: process.env.PATH, URL: 'postgresql://u:{secret-url:db_password}@db/x', RAW: '{secret:db_password}' },
        encoding: 'utf8',
      });
      expect(out.trim().split(' ').slice(1)).toEqual(['postgresql://u:p%40ss%2Fw%3Ard@db/x', 'p@ss/w:rd']);
    } finally {
      cleanup();
    }
  });
  it('a missing secret file is a clear error naming the setting', () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'entrypoint.py'), entrypointSource('test').replace('"/run/secrets"', JSON.stringify(dir)));
      let message = '';
      try {
        execFileSync('python3', [join(dir, 'entrypoint.py'), 'true'], { env: { PATH: process.env.PATH, KEY: '{secret:nope}' }, encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        message = String((error as { stderr: string }).stderr);
      }
      expect(message).toMatch(/entrypoint: KEY needs the secret file .*nope/);
    } finally {
      cleanup();
    }
  });
});

describe('smoke: bad image overrides exit 2 and name the flag', () => {
  it('--redis-image with spaces', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await runCli(['smoke', dir, '--redis-image', 'redis 7']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/--redis-image: "redis 7" is not an image reference/);
    } finally {
      cleanup();
    }
  });
});
