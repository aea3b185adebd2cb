/**
 * The development loop on the real engine (issue 23), Flask with Postgres, a worker and
 * requirements-dev.txt, started as a user would with `create-pyimage dev`: `flask run --debug`
 * serves a route edit within 5 s without an image build; the dev requirements are in the dev image;
 * a worker edit restarts the worker; a new requirement rebuilds and is importable; Ctrl-C leaves
 * nothing running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, requireBuiltCli, type E2EEnv } from './engine.js';
import { fromFixture, generateIn, MINUTE, workDir } from './harness.js';
import { cleanUp, edit, editLatencies, execIn, get, imageId, median, standInEnv, startDev, startedAt, stopDev, until } from './dev-loop.js';

let e2e: E2EEnv;
const work = workDir('pyimage-dev-flask-');
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
  it('Flask + Postgres + worker via `create-pyimage dev`: edits served without a build, dev requirements in the dev image, the worker restarts, a requirement rebuilds, Ctrl-C leaves nothing', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-dev-flask', 'devflask');
    const notes = await generateIn(e2e, dir, 'devflask', ['--database', 'postgres', '--env', 'DATABASE_URL={db.url}', '--worker', 'python -m app.worker']);
    expect(notes).toContain('found requirements-dev.txt');
    const stack = await standInEnv(e2e, dir);
    const port = stack.port;
    const run = startDev(dir, 'devflask', stack, 'cli');
    cleanups.push(() => cleanUp(dir, run.project, ['devflask:dev']));

    await until(run, 'the dev stack serves /hello', 6 * MINUTE, async () => (await get(port, '/hello'))?.includes('version-0') ?? false, 500);
    expect(await get(port, '/health')).toMatch(/"db":\s*1/);
    expect(run.output()).toContain('Debug mode: on');
    // The dev requirements (PyYAML) are in the dev image; the user is the app's, without capabilities.
    expect((await execIn(run, 'app', ['python', '-c', 'import yaml'])).exitCode).toBe(0);
    expect((await execIn(run, 'app', ['id', '-u'])).stdout).toBe('10001');
    expect((await execIn(run, 'app', ['grep', '^CapEff', '/proc/1/status'])).stdout).toMatch(/CapEff:\s+0+$/);
    const built = await imageId('devflask:dev');

    const latencies = await editLatencies(run, dir, 'app/__init__.py', '/hello');
    expect(await imageId('devflask:dev')).toBe(built);
    report.push(`  flask (flask run --debug)   median ${median(latencies)} ms  [${latencies.join(', ')}]`);

    const workerStarted = await startedAt(run, 'worker');
    edit(dir, 'app/worker.py', 'worker-0', 'worker-1');
    await until(run, 'the worker restarted with its new code', 60_000, async () => {
      const now = await startedAt(run, 'worker');
      return now !== '' && now !== workerStarted && (await execIn(run, 'worker', ['grep', '-c', 'worker-1', '/app/app/worker.py'])).stdout === '1';
    }, 250);
    expect(await imageId('devflask:dev')).toBe(built);

    expect((await execIn(run, 'app', ['python', '-c', 'import six'])).exitCode).not.toBe(0);
    edit(dir, 'requirements.txt', 'psycopg2\n', 'psycopg2\nsix\n');
    await until(run, 'six importable after the rebuild', 4 * MINUTE, async () => (await execIn(run, 'app', ['python', '-c', 'import six'])).exitCode === 0, 1_000);
    expect(await imageId('devflask:dev')).not.toBe(built);
    await until(run, 'the rebuilt app serves the last edit', 2 * MINUTE, async () => (await get(port, '/hello'))?.includes('version-5') ?? false, 500);

    await stopDev(run, 'SIGINT');
  }, 15 * MINUTE);
});
