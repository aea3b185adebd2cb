/**
 * Real projects, round two (issue 18): fixtures in the patterns that broke, generated with the flags a
 * user types and proven on the real engine. A Flask project whose CLI lives in manage.py; a FastAPI
 * app built in a package with relative imports, run by the project's own Dockerfile CMD with a
 * gunicorn.conf.py; Django in backend/ with Render's production switch, without and with it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ensureEngine, removeImage, requireBuiltCli, type E2EEnv } from './engine.js';
import { cli, generateIn, expectNothingLeft, expectPassed, fromFixture, MINUTE, smokeJson, standIns, step, workDir, type TimedSmoke } from './harness.js';

let e2e: E2EEnv;
const work = workDir('pyimage-real2-');
const report: string[] = [];
const images = new Set<string>();

const generate = (dir: string, name: string, flags: string[]) => generateIn(e2e, dir, name, flags);

function record(name: string, run: TimedSmoke): void {
  if (run.result.tag) images.add(run.result.tag);
  report.push(`  ${name.padEnd(48)} ${String(run.seconds).padStart(6)}s  ${(run.result.size / 1e6).toFixed(1).padStart(7)} MB`);
}

beforeAll(async () => {
  e2e = await ensureEngine();
  requireBuiltCli();
}, 35 * MINUTE);

afterAll(async () => {
  for (const image of images) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
  if (report.length > 0) console.log(`\nreal projects, round two (wall time, app image size):\n${report.join('\n')}\n`);
}, 5 * MINUTE);

describe.sequential('real projects, round two', () => {
  it('(1) Flask with its CLI in manage.py (FlaskGroup) and Postgres: Flask, not Django; tables made by its own command', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-flask-manage-postgres', 'flask-manage');
    const said = await generate(dir, 'e2e-flask-manage', ['--postgres-version', e2e.postgresVersion, '--health-path', '/', '--migrations', 'custom', '--migrate-command', 'python manage.py create_db']);
    expect(said).toContain("manage.py is a Flask command line (it imports flask.cli), not Django's");
    expect(said).toContain('framework flask: the app is built with flask');
    expect(said).toContain('app object project:app in project/__init__.py:4');
    expect(said).toMatch(/DATABASE_URL = \{db\.url\}/);
    expect(said).not.toMatch(/Django: |Django is not in the dependencies/);
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { postgres: true })]);
    record('(1) flask + manage.py CLI + postgres', run);
    expectPassed(run);
    expect(step(run.result, 'migration exited 0').detail).toMatch(/exited 0/);
    expect(step(run.result, 'health probe').detail).toMatch(/-> 200 \{"database":"postgresql","hello":"world","users":1\}/);
    await expectNothingLeft(run.result.project);
  }, 20 * MINUTE);

  it('(2) FastAPI in attribute form in a package with relative imports, its Dockerfile CMD and gunicorn.conf.py respected', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-fastapi-package-gunicorn', 'fastapi-package');
    // The project's own Dockerfile is replaced only with --force (nothing is overwritten silently).
    const said = await generate(dir, 'e2e-fastapi-package', ['--force']);
    expect(said).toContain('app object api.main:app in api/main.py:6, as Dockerfile:9 (CMD) runs it');
    expect(said).toMatch(
      /gunicorn\.conf\.py: gunicorn loads it from \/app, so its settings apply \(worker_class = "uvicorn\.workers\.UvicornWorker", timeout = 120, keepalive = 5, accesslog = "-"\); the command line's --bind 0\.0\.0\.0:8080 overrides its bind "0\.0\.0\.0:8080", so the app listens on port 8080 on every interface/,
    );
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^CMD \["gunicorn", "--worker-class", "uvicorn\.workers\.UvicornWorker", "--bind", "0\.0\.0\.0:8080", .*"api\.main:app"\]$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e)]);
    record('(2) fastapi package + gunicorn.conf.py', run);
    expectPassed(run);
    expect(step(run.result, 'health probe').detail).toMatch(/:\d+\/health -> 200 \{"status":"ok","app":"notes-api","worker_pid":\d+\}/);
    await expectNothingLeft(run.result.project);
  }, 20 * MINUTE);

  it('(3) Django in backend/ with a production switch left off: DEBUG on is said, the build skips collectstatic', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-django-render-switch', 'django-switch-off');
    const said = await generate(dir, 'e2e-django-off', ['--postgres-version', e2e.postgresVersion, '--health-path', '/health/']);
    expect(said).toContain('Django lives in backend/: manage.py runs as `python backend/manage.py`, PYTHONPATH=/app/backend');
    expect(said).toContain("the settings switch production on by RENDER (backend/mysite/settings.py:15: DEBUG = 'RENDER' not in os.environ): --env RENDER=1 turns it on");
    expect(said).toMatch(/STATIC_ROOT \/app\/backend\/staticfiles \(backend\/mysite\/settings\.py:\d+, only under `if not DEBUG`\)/);
    expect(said).toContain('warning: the app would run with DEBUG on (backend/mysite/settings.py:15');
    expect(said).toContain('pass --env RENDER=1 to switch production on');
    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'));
    expect(compose.services.migrate.command).toEqual(['python', 'backend/manage.py', 'migrate', '--noinput']);
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { postgres: true })]);
    record('(3) django backend/ + switch off', run);
    expectPassed(run);
    expect(step(run.result, 'migration exited 0').detail).toMatch(/migrate exited 0:.*sessions\.0001_initial\.\.\. OK/s);
    expect(step(run.result, 'health probe').detail).toMatch(/-> 200 \{"debug": true, "css": "\/static\/pages\/site\.css", "database": "postgresql", "users": 0\}/);
    await expectNothingLeft(run.result.project);
  }, 25 * MINUTE);

  it('(4) the same Django project with --env RENDER=1: production on, STATIC_ROOT set at build, collectstatic ran', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-django-render-switch', 'django-switch-on');
    const said = await generate(dir, 'e2e-django-on', ['--postgres-version', e2e.postgresVersion, '--health-path', '/health/', '--env', 'RENDER=1', '--env', 'RENDER_EXTERNAL_HOSTNAME=127.0.0.1']);
    expect(said).toContain("production on: RENDER=1 turns DEBUG off (backend/mysite/settings.py:15: DEBUG = 'RENDER' not in os.environ)");
    expect(said).not.toContain('would run with DEBUG on');
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { postgres: true })]);
    record('(4) django backend/ + RENDER=1', run);
    expectPassed(run);
    // The manifest storage names the file by its hash: collectstatic ran under the app's environment.
    expect(step(run.result, 'health probe').detail).toMatch(/-> 200 \{"debug": false, "css": "\/static\/pages\/site\.[0-9a-f]{12}\.css", "database": "postgresql", "users": 0\}/);
    expect(step(run.result, 'django check --deploy').ok).toBe(true);
    await expectNothingLeft(run.result.project);
  }, 25 * MINUTE);
});
