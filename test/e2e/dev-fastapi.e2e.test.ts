/**
 * The development loop on the real engine (issue 23), FastAPI with Postgres and a worker, and Django:
 * scripts/dev.sh starts the same stack with the reload server; a route edit is served within 5 s
 * without an image build; a worker edit restarts the worker; a new requirement rebuilds and is
 * importable; Ctrl-C leaves nothing running. Django: a view edit is served by runserver's reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, requireBuiltCli, type E2EEnv } from './engine.js';
import { fromFixture, generateIn, MINUTE, workDir } from './harness.js';
import { cleanUp, edit, editLatencies, execIn, get, imageId, median, standInEnv, startDev, startedAt, stopDev, until } from './dev-loop.js';

let e2e: E2EEnv;
const work = workDir('pyimage-dev-fastapi-');
const report: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  e2e = await ensureEngine();
  requireBuiltCli();
}, 35 * MINUTE);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  if (report.length > 0) console.log(`dev loop (edit -> served, 5 edits):\n${report.join('\n')}`);
}, 5 * MINUTE);

describe('the development loop on the real engine', () => {
  it('FastAPI + Postgres + worker: edits served without a build, the worker restarts, a requirement rebuilds, Ctrl-C leaves nothing', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-dev-fastapi', 'devfastapi');
    await generateIn(e2e, dir, 'devfastapi', ['--database', 'postgres', '--env', 'DATABASE_URL={db.url}', '--worker', 'python -m app.worker']);
    const stack = await standInEnv(e2e, dir);
    const port = stack.port;
    const run = startDev(dir, 'devfastapi', stack, 'script');
    cleanups.push(() => cleanUp(dir, run.project, ['devfastapi:dev']));

    await until(run, 'the dev stack serves /hello', 6 * MINUTE, async () => (await get(port, '/hello'))?.includes('version-0') ?? false, 500);
    // The same stack: the database answers the app's health check through the dev stack.
    expect(await get(port, '/health')).toContain('"db":1');
    // Non-root, and the production hardening kept (no capabilities).
    expect((await execIn(run, 'app', ['id', '-u'])).stdout).toBe('10001');
    expect((await execIn(run, 'app', ['grep', '^CapEff', '/proc/1/status'])).stdout).toMatch(/CapEff:\s+0+$/);
    const built = await imageId('devfastapi:dev');
    expect(built).toMatch(/^sha256:/);

    const latencies = await editLatencies(run, dir, 'app/main.py', '/hello');
    expect(await imageId('devfastapi:dev')).toBe(built); // synced, not rebuilt
    report.push(`  fastapi (uvicorn --reload)  median ${median(latencies)} ms  [${latencies.join(', ')}]`);

    // The worker has no reloader: its code change restarts it (sync+restart), with the new code.
    const workerStarted = await startedAt(run, 'worker');
    edit(dir, 'app/worker.py', 'worker-0', 'worker-1');
    await until(run, 'the worker restarted with its new code', 60_000, async () => {
      const now = await startedAt(run, 'worker');
      return now !== '' && now !== workerStarted && (await execIn(run, 'worker', ['grep', '-c', 'worker-1', '/app/app/worker.py'])).stdout === '1';
    }, 250);
    expect(await imageId('devfastapi:dev')).toBe(built);

    // A new requirement rebuilds the image, and the package is importable in the running app.
    expect((await execIn(run, 'app', ['python', '-c', 'import six'])).exitCode).not.toBe(0);
    edit(dir, 'requirements.txt', 'psycopg2\n', 'psycopg2\nsix\n');
    await until(run, 'six importable after the rebuild', 4 * MINUTE, async () => (await execIn(run, 'app', ['python', '-c', 'import six'])).exitCode === 0, 1_000);
    expect(await imageId('devfastapi:dev')).not.toBe(built);
    // The rebuilt app comes back with the latest code.
    await until(run, 'the rebuilt app serves the last edit', 2 * MINUTE, async () => (await get(port, '/hello'))?.includes('version-5') ?? false, 500);

    await stopDev(run, 'SIGINT');
  }, 15 * MINUTE);

  it('Django: a view edit is served by runserver\'s reload', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-dev-django', 'devdjango');
    await generateIn(e2e, dir, 'devdjango', ['--migrations', 'none', '--env', 'DJANGO_SECRET_KEY={secret.django_secret_key}']);
    const stack = await standInEnv(e2e, dir);
    const port = stack.port;
    const run = startDev(dir, 'devdjango', stack, 'script');
    cleanups.push(() => cleanUp(dir, run.project, ['devdjango:dev']));

    await until(run, 'runserver serves /hello', 4 * MINUTE, async () => (await get(port, '/hello'))?.includes('version-0') ?? false, 500);
    expect(run.output()).toMatch(/Starting development server at http:\/\/0\.0\.0\.0:8000/);
    const built = await imageId('devdjango:dev');
    const latencies = await editLatencies(run, dir, 'mysite/urls.py', '/hello');
    expect(await imageId('devdjango:dev')).toBe(built);
    report.push(`  django (runserver)          median ${median(latencies)} ms  [${latencies.join(', ')}]`);
    await stopDev(run, 'SIGTERM');
  }, 10 * MINUTE);
});
