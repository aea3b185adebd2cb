/**
 * Django: what detection reads (manage.py, the settings module, the WSGI/ASGI application, STATIC_ROOT,
 * how the settings read hosts and DEBUG), the answers it leads to, what the image and compose file
 * get, and the bad inputs that stop generation with exit 2 and nothing written.
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { detectProject } from '../../generators/answers/detect.js';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import { renderProject } from '../../generators/render/index.js';
import { readCheckOutput, withProxy } from '../../generators/engine/django-check.js';
import { repoRoot, runCli, snapshot, tempDir } from '../helpers.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures');
const work = tempDir('pyimage-django-');
afterAll(() => work.cleanup());

function copy(fixture: string, name: string): string {
  const dir = join(work.dir, name);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

async function answersFor(dir: string, flags: Record<string, unknown> = {}) {
  const detection = detectProject(dir);
  return { detection, answers: await resolveAnswers({ flags, detected: detection.answers, facts: detection.facts }) };
}

describe('Django detection', () => {
  it('DATABASE_URL project: settings module, WSGI app, migrate, collectstatic, env names it reads', async () => {
    const { detection, answers } = await answersFor(join(FIXTURES, 'e2e-django-dburl'));
    expect(detection.facts.django).toMatchObject({
      settingsModule: 'shop.settings',
      settingsFile: 'shop/settings.py',
      wsgi: 'shop.wsgi:application',
      asgi: 'shop.asgi:application',
      staticRoot: '/app/staticfiles',
      whitenoise: true,
    });
    expect(answers).toMatchObject({ framework: 'django', server: 'gunicorn', appModule: 'shop.wsgi:application', migrations: 'django', collectStatic: true, postgres: true, redis: true, installServer: true });
    expect(answers.env.sort()).toEqual([
      'CELERY_BROKER_URL={redis.url}',
      'DATABASE_URL={db.url}',
      'DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1',
      'DJANGO_CSRF_TRUSTED_ORIGINS=http://localhost:8000,http://127.0.0.1:8000',
      'DJANGO_DEBUG=False',
      'DJANGO_SECRET_KEY={secret.secret_key}',
    ]);
  });

  it('SQL_* project: hosts split on spaces, DEBUG read with int(), MEDIA_ROOT a state volume', async () => {
    const { answers } = await answersFor(join(FIXTURES, 'e2e-django-sql-media'));
    expect(answers.env).toContain('DJANGO_ALLOWED_HOSTS=localhost 127.0.0.1');
    expect(answers.env).toContain('DEBUG=0');
    expect(answers.env).toContain('SECRET_KEY={secret.secret_key}');
    expect(answers.stateDirs).toEqual(['/app/mediafiles']);
    expect(answers.installServer).toBe(false);
  });

  it('django-environ project: the Celery app is suggested as the worker', () => {
    const detection = detectProject(join(FIXTURES, 'scan-django'));
    expect(detection.answers.framework).toBe('django');
    expect(detection.notes.join('\n')).toContain('--worker "celery -A mysite.celery:app worker --loglevel INFO"');
  });

  it('uvicorn serves the ASGI application; a WSGI one with uvicorn is refused by name', async () => {
    const dir = join(FIXTURES, 'e2e-django-dburl');
    const { answers } = await answersFor(dir, { server: 'uvicorn', appModule: 'shop.asgi:application' });
    expect(answers.server).toBe('uvicorn');
    await expect(answersFor(dir, { server: 'uvicorn' })).rejects.toThrow(/app: uvicorn serves Django's ASGI application: pass --app shop\.asgi:application/);
  });
});

describe('Django stack', () => {
  it('collectstatic in its own stage with throw-away settings; migrate and the settings in compose', async () => {
    const { answers } = await answersFor(join(FIXTURES, 'e2e-django-dburl'));
    const files = renderProject(answers);
    const dockerfile = files.find((f) => f.path === 'Dockerfile')!.content;
    const [build, runtime] = dockerfile.split(/^FROM \$\{PYTHON_IMAGE\} AS runtime$/m);
    expect(build).toMatch(/^FROM builder AS static$/m);
    expect(build).toMatch(/^RUN CELERY_BROKER_URL=redis:\/\/redis:6379\/0 DATABASE_URL=sqlite:\/\/:memory: .*DJANGO_SECRET_KEY=build-only-not-a-secret \/opt\/venv\/bin\/python manage\.py shell -c '.*'$/m);
    // The settings are read under that environment; collectstatic runs only when they set STATIC_ROOT.
    expect(build).toContain('call_command("collectstatic", interactive=False) if s.STATIC_ROOT else print(');
    expect(build).toContain('DEBUG=%r STATIC_ROOT=%r ALLOWED_HOSTS=%r');
    expect(runtime).toContain('COPY --from=static /app /app');
    expect(runtime).not.toMatch(/build-only|collectstatic|SECRET_KEY/);
    expect(runtime).toMatch(/^CMD \["gunicorn", .*"shop\.wsgi:application"\]$/m);
    const compose = parseYaml(files.find((f) => f.path === 'docker-compose.yml')!.content);
    expect(compose.services.migrate.command).toEqual(['python', 'manage.py', 'migrate', '--noinput']);
    expect(compose.services.app.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(compose.services.app.environment).toMatchObject({ DJANGO_DEBUG: 'False', DJANGO_SECRET_KEY: '{secret:secret_key}', DJANGO_ALLOWED_HOSTS: 'localhost,127.0.0.1' });
    expect(compose.secrets.secret_key.file).toBe('./secrets/secret_key');
    expect(files.find((f) => f.path === 'README.Docker.md')!.content).toMatch(/With WhiteNoise in `MIDDLEWARE`/);
    // scripts/smoke-test.sh runs Django's checklist through the entrypoint, so SECRET_KEY is the real one.
    expect(files.find((f) => f.path === 'scripts/smoke-test.sh')!.content).toContain('"${COMPOSE[@]}" exec -T app python /app/docker/entrypoint.py python manage.py check --deploy || die');
  });

  it('reads check --deploy warnings by id', () => {
    const out = 'System check identified some issues:\n\nWARNINGS:\n?: (security.W004) You have not set a value for the SECURE_HSTS_SECONDS setting. If your entire site...\n?: (security.W008) Your SECURE_SSL_REDIRECT setting is not set to True.\n\nSystem check identified 2 issues (0 silenced).\n';
    const report = readCheckOutput(out);
    expect(report.issues.map((i) => i.id)).toEqual(['security.W004', 'security.W008']);
    expect(report.summary).toMatch(/^2 warnings: security\.W004 \(You have not set a value for the SECURE_HSTS_SECONDS setting\); security\.W008/);
    expect(readCheckOutput('System check identified no issues (0 silenced).\n').summary).toBe('no issues');
  });

  it('behind the proxy, W004 (HSTS) and W008 (redirect) are covered by it; cookie flags stay warnings', () => {
    const out = '?: (security.W004) You have not set a value for the SECURE_HSTS_SECONDS setting.\n?: (security.W008) Your SECURE_SSL_REDIRECT setting is not set to True.\n?: (security.W016) You have CSRF_COOKIE_SECURE unset.\n';
    const report = withProxy(readCheckOutput(out));
    expect(report.issues.map((i) => i.id)).toEqual(['security.W016']);
    expect(report.summary).toBe('1 warning: security.W016 (You have CSRF_COOKIE_SECURE unset); covered by the proxy: security.W004 (HSTS is sent by the proxy); security.W008 (the proxy redirects HTTP to HTTPS)');
  });
});

describe('Django bad input: exit 2, a message naming the fix, nothing written', () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    [
      'a settings module that does not exist',
      (dir) => {
        const manage = join(dir, 'manage.py');
        writeFileSync(manage, readFileSync(manage, 'utf8').replace('"shop.settings"', '"shop.settings_prod"'));
      },
      /framework: manage\.py names the settings module shop\.settings_prod, but neither shop\/settings_prod\.py nor shop\/settings_prod\/__init__\.py exists/,
    ],
    [
      'manage.py without Django in the dependencies',
      (dir) => writeFileSync(join(dir, 'requirements.txt'), 'dj-database-url==0.5.0\npsycopg2==2.9.5\n'),
      /framework: manage\.py runs Django \(it imports django\.core\.management\) but Django is not in the dependencies: add Django/,
    ],
  ];
  for (const [what, breakIt, message] of cases) {
    it(what, async () => {
      const dir = copy('e2e-django-dburl', what.replace(/\W+/g, '-'));
      breakIt(dir);
      const before = snapshot(dir);
      const r = await runCli([dir, '--yes']);
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(String(r.stderr)).toMatch(message);
      expect(snapshot(dir)).toEqual(before);
      expect(readdirSync(dir)).not.toContain('Dockerfile');
      rmSync(dir, { recursive: true, force: true });
    });
  }
});
