/**
 * Real projects, unchanged (issue 9): four fixtures in the patterns public Flask and FastAPI projects
 * use, generated with only the flags a user would type, proven on the real engine. Nothing in the
 * fixtures was changed to suit the generator.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, imageTrail, removeImage, type E2EEnv } from './engine.js';
import { cli, generateIn, expectNothingLeft, expectPassed, fromFixture, MINUTE, smokeJson, standIns, step, workDir, type TimedSmoke } from './harness.js';

let e2e: E2EEnv;
const work = workDir('pyimage-real-');
const report: string[] = [];
const images = new Set<string>();
/** The stand-in index carries Debian's gunicorn, not the version the image pins for PyPI. */
const STAND_IN_GUNICORN = { SERVER_PACKAGES: 'gunicorn==20.1.0' };

const generate = (dir: string, name: string, flags: string[]) => generateIn(e2e, dir, name, flags);

function record(name: string, run: TimedSmoke): void {
  if (run.result.tag) images.add(run.result.tag);
  report.push(`  ${name.padEnd(44)} ${String(run.seconds).padStart(6)}s  ${(run.result.size / 1e6).toFixed(1).padStart(7)} MB`);
}

beforeAll(async () => {
  e2e = await ensureEngine();
}, 35 * MINUTE);

afterAll(async () => {
  for (const image of images) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
  if (report.length > 0) console.log(`\nreal projects, unchanged (wall time, app image size):\n${report.join('\n')}\n`);
}, 5 * MINUTE);

describe.sequential('real projects run unchanged', () => {
  it('(1) pyproject Flask factory, no server in its dependencies, instance folder made at start', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-flask-instance', 'flask-instance');
    const said = await generate(dir, 'e2e-instance', []);
    expect(said).toMatch(/the dependencies lack gunicorn: the image installs gunicorn==\d/);
    expect(said).toMatch(/instance folder \/opt\/venv\/var\/notes-instance is a volume/);
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e)], STAND_IN_GUNICORN);
    record('(1) flask factory + instance folder', run);
    expectPassed(run);
    // The sqlite file in the instance folder was written: the installed package's instance path.
    expect(step(run.result, 'health probe').detail).toMatch(/"instance":"\/opt\/venv\/var\/notes-instance".*"starts":\d+/);
    expect(step(run.result, 'state directories writable').detail).toContain('/opt/venv/var/notes-instance');
    await expectNothingLeft(run.result.project);
  }, 20 * MINUTE);

  it('(2) FastAPI + databases/asyncpg: DATABASE_URL required at import, tables at start, health reads Postgres', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-fastapi-databases', 'fastapi-databases');
    const said = await generate(dir, 'e2e-databases', ['--postgres-version', e2e.postgresVersion]);
    expect(said).toMatch(/DATABASE_URL = \{db\.url\}/);
    const compose = readFileSync(join(dir, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('DATABASE_URL: postgresql://e2e_databases:{secret-url:db_password}@db:5432/e2e_databases');
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { postgres: true })]);
    record('(2) fastapi + databases/asyncpg', run);
    expectPassed(run);
    expect(step(run.result, 'health probe').detail).toMatch(/"pings":\d+,"database":"PostgreSQL 15/);
    // The password reached the app through the entrypoint, never the compose file, .env or the image.
    const password = readFileSync(join(dir, 'secrets', 'db_password'), 'utf8');
    expect(password.length).toBeGreaterThan(20);
    expect(compose).not.toContain(password);
    expect(await imageTrail(run.result.imageId)).not.toContain(password);
    await expectNothingLeft(run.result.project);
  }, 20 * MINUTE);

  it('(3) Flask-Migrate app reading DBHOST/DBUSER/DBPASS/DBNAME, with its own .env, whose / needs the migrated tables', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-flask-migrate-dbvars', 'flask-migrate-dbvars');
    const before = readFileSync(join(dir, '.env'), 'utf8');
    // Without the settings the app requires, generation stops before writing anything.
    const refused = await cli([dir, '--yes', '--name', 'e2e-dbvars'], { timeout: 2 * MINUTE });
    expect(refused.exitCode).toBe(2);
    expect(String(refused.stderr)).toMatch(/env: the app requires DBHOST \(app\.py:\d+\).*--env DBHOST=VALUE/);
    expect(existsSync(join(dir, 'docker-compose.yml'))).toBe(false);
    const said = await generate(dir, 'e2e-dbvars', [
      '--postgres-version',
      e2e.postgresVersion,
      '--health-path',
      '/',
      '--env',
      'DBHOST={db.host}',
      '--env',
      'DBUSER={db.user}',
      '--env',
      'DBPASS={db.password}',
      '--env',
      'DBNAME={db.name}',
    ]);
    expect(said).toMatch(/\.env points DBHOST at localhost/);
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { postgres: true })]);
    record('(3) flask-migrate + DB* variables + own .env', run);
    expectPassed(run);
    expect(step(run.result, 'migration exited 0').detail).toMatch(/exited 0/);
    expect(step(run.result, 'health probe').detail).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/ -> 200 \{"entries":\d+\}/);
    // The project's .env is the user's: untouched.
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(before);
    await expectNothingLeft(run.result.project);
  }, 20 * MINUTE);

  it('(4) src-layout Flask + Celery worker on Redis, make_celery.py beside src/, broker URL through --env', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-src-celery', 'src-celery');
    const said = await generate(dir, 'e2e-celery', [
      '--worker',
      'celery -A make_celery:celery_app worker --loglevel INFO --concurrency 1',
      '--env',
      'TASKS_BROKER_URL={redis.url}',
    ]);
    expect(said).toMatch(/adding a Redis service/);
    expect(said).toMatch(/TASKS_BROKER_URL = \{redis\.url\}/);
    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { redis: true })]);
    record('(4) src layout + celery worker on redis', run);
    expectPassed(run);
    expect(step(run.result, 'redis answers with its password').detail).toBe('PING without the password -> NOAUTH; with the secret -> PONG');
    expect(step(run.result, 'worker connected to redis').detail).toMatch(/connections? from the worker/);
    expect(step(run.result, 'every service healthy').detail).toMatch(/redis running \(healthy\)/);
    await expectNothingLeft(run.result.project);
  }, 20 * MINUTE);
});
