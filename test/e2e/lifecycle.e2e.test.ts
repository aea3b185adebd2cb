/**
 * A stack you live with, on the real Docker engine (issue 21): a request in flight survives
 * `compose stop`, a killed server heals by itself, the app answers again after a database restart,
 * and down.sh/up.sh keep the data. The engine restart is test/e2e/engine-restart.e2e.test.ts (run
 * alone), the Podman boot unit test/e2e/boot.e2e.test.ts.
 */
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, leftoversOf, requireBuiltCli } from './engine.js';
import { cli, fromFixture, MINUTE, smokeJson, standIns, step, workDir } from './harness.js';
import type { E2EEnv } from './engine.js';
import { addItem, allHealthy, compose, generateStack, http, items, script, serverPid, startedAt, until, type Stack } from './lifecycle.js';

const work = workDir('pyimage-lifecycle-');
const NAME = 'e2e-life-docker';
const times: Record<string, number> = {};
let stack: Stack;
let e2e: E2EEnv;

beforeAll(async () => {
  requireBuiltCli();
  e2e = await ensureEngine();
  stack = await generateStack(work, NAME, e2e, 'docker', { python: e2e.pythonImage, postgres: e2e.postgresImage, redis: e2e.redisImage });
  const up = await script(stack, 'up', ['--timeout', '180']);
  expect(up.exitCode, up.stderr).toBe(0);
  await addItem(stack, 'first');
}, 20 * MINUTE);

afterAll(async () => {
  if (stack) await script(stack, 'down', ['--volumes', '--yes'], 5 * MINUTE);
  process.stderr.write(`[lifecycle] recovery seconds: ${JSON.stringify(times)}\n`);
  rmSync(work, { recursive: true, force: true });
}, 10 * MINUTE);

describe('a generated Postgres + Redis + worker stack on Docker', () => {
  it('(c) a 3 s request in flight during `compose stop app` completes with 200', async () => {
    const started = performance.now();
    const slow = http(stack, '/slow', {}, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const stop = await compose(stack, ['stop', 'app']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const res = await slow;
    times['(c) slow request across stop (s)'] = Math.round((performance.now() - started) / 100) / 10;
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ slow: 'done' });
    // The server exited by itself once the request was done, well before the 30 s grace.
    expect(times['(c) slow request across stop (s)']).toBeLessThan(20);
    const start = await compose(stack, ['start', 'app']);
    expect(start.exitCode, start.stderr).toBe(0);
    await until('healthy after start', 60, () => allHealthy(stack));
  }, 5 * MINUTE);

  it('(d) after kill -9 of the server the app is healthy again within 30 s', async () => {
    const before = await startedAt(stack, 'app');
    const pid = await serverPid(stack);
    process.kill(pid, 'SIGKILL');
    const seconds = await until('app restarted and healthy after kill -9', 30, async () => {
      const now = await startedAt(stack, 'app');
      if (now === before) return `not restarted yet (started ${now})`;
      return allHealthy(stack);
    });
    times['(d) kill -9 of gunicorn -> healthy (s)'] = seconds;
    expect(seconds).toBeLessThanOrEqual(30);
  }, 2 * MINUTE);

  it('(e) after a database restart the DB-backed route answers within 30 s, the app not restarted', async () => {
    const appStarted = await startedAt(stack, 'app');
    const started = performance.now();
    const restart = await compose(stack, ['restart', 'db']);
    expect(restart.exitCode, restart.stderr).toBe(0);
    await until('/items after the db restart', 30, async () => {
      const res = await http(stack, '/items', {}, 5_000);
      return res.status === 200 ? true : `/items -> ${res.status} ${res.body.slice(0, 200)}`;
    });
    times['(e) db restart -> /items 200 (s)'] = Math.round((performance.now() - started) / 100) / 10;
    expect(times['(e) db restart -> /items 200 (s)']).toBeLessThanOrEqual(30);
    expect((await items(stack)).values).toContain('first');
    expect(await startedAt(stack, 'app')).toBe(appStarted);
  }, 2 * MINUTE);

  it('down.sh then up.sh keeps the database, Redis and their volumes; --volumes asks, --yes deletes', async () => {
    await addItem(stack, 'kept');
    const down = await script(stack, 'down');
    expect(down.exitCode, down.stderr).toBe(0);
    const up = await script(stack, 'up', ['--no-build', '--timeout', '120']);
    expect(up.exitCode, up.stderr).toBe(0);
    const after = await items(stack);
    expect(after.values).toEqual(expect.arrayContaining(['first', 'kept']));
    // Redis' append-only file survived too.
    expect(after.last).toBe('kept');

    // Without a terminal and without --yes nothing is deleted.
    const refused = await script(stack, 'down', ['--volumes']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('pass --volumes --yes');
    expect((await items(stack)).values).toContain('kept');

    const gone = await script(stack, 'down', ['--volumes', '--yes']);
    expect(gone.exitCode, gone.stderr).toBe(0);
    const volumes = await execa('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${NAME}`]);
    expect(volumes.stdout.trim()).toBe('');
    expect(await leftoversOf(NAME)).toEqual([]);
  }, 10 * MINUTE);
});

describe('smoke: the life-cycle steps on a throw-away stack', () => {
  const FLAGS = ['--framework', 'flask', '--app', 'app:app', '--postgres', '--libpq', '--redis', '--worker', 'rq worker', '--env', 'REDIS_URL={redis.url}', '--env', 'RQ_REDIS_URL={redis.url}'];

  async function smokeOf(name: string, change?: (dir: string) => void) {
    const dir = fromFixture(work, 'test/fixtures/e2e-lifecycle', name);
    change?.(dir);
    const r = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, '--postgres-version', e2e.postgresVersion, ...FLAGS], { timeout: 2 * MINUTE });
    expect(r.exitCode, r.stderr).toBe(0);
    return smokeJson(['smoke', dir, '--json', ...standIns(e2e, { postgres: true, redis: true })]);
  }

  it('stops gracefully, heals a kill -9 and answers after a database restart', async () => {
    const { result, exitCode, stderr } = await smokeOf('e2e-life-smoke');
    expect(result.steps.filter((s) => !s.ok), stderr).toEqual([]);
    expect(exitCode).toBe(0);
    expect(step(result, 'graceful stop').detail).toMatch(/exited 0 in [\d.]+ s/);
    expect(step(result, 'crash recovery').detail).toMatch(/kill -9 of the server: restarted by the engine and healthy in [\d.]+ s/);
    expect(step(result, 'database restart').detail).toMatch(/answers [\d.]+ s later, the app kept running; no connection made at import/);
    for (const name of ['graceful stop', 'crash recovery', 'database restart']) times[`smoke ${name} (s)`] = step(result, name).seconds;
  }, 20 * MINUTE);

  it('says plainly when the app connects to the database once, at import', async () => {
    const { result, exitCode } = await smokeOf('e2e-life-once', (dir) => {
      appendFileSync(join(dir, 'app', '__init__.py'), '\nimport psycopg2\n\n_conn = psycopg2.connect(engine.url.render_as_string(hide_password=False).replace("+psycopg2", ""))\n');
    });
    const db = step(result, 'database restart');
    expect(db.ok).toBe(false);
    expect(db.detail).toMatch(/connects to the database once, at import \(app\/__init__\.py:\d+ \(psycopg2\.connect\)\)/);
    expect(exitCode).not.toBe(0);
    expect(result.success).toBe(false);
  }, 20 * MINUTE);
});
