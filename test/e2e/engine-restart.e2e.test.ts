/**
 * Issue 21 (a): a host reboot or engine upgrade restarts the engine. With the stack up and a row
 * written, dockerd gets SIGTERM (containers get SIGTERM, as at shutdown) and is started again:
 * every service is healthy again within 90 s, by itself, and the row and Redis' value are there.
 *
 * Restarting dockerd stops every container on this engine, so this file never runs beside another
 * e2e file: vitest.config.ts leaves it out and `npm test` runs it on its own afterwards
 * (vitest.engine-restart.config.ts). By hand: flock /tmp/engine.lock npx vitest run --config
 * vitest.engine-restart.config.ts
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { ensureEngine, leftoversOf, requireBuiltCli } from './engine.js';
import { MINUTE, workDir } from './harness.js';
import { addItem, allHealthy, generateStack, items, LONG_RUNNING, script, startedAt, until, type Stack } from './lifecycle.js';

const work = workDir('pyimage-engine-restart-');
const NAME = 'e2e-life-reboot';
let stack: Stack;

beforeAll(async () => {
  requireBuiltCli();
  const e2e = await ensureEngine();
  stack = await generateStack(work, NAME, e2e, 'docker', { python: e2e.pythonImage, postgres: e2e.postgresImage, redis: e2e.redisImage });
  const up = await script(stack, 'up', ['--timeout', '180']);
  expect(up.exitCode, up.stderr).toBe(0);
}, 20 * MINUTE);

afterAll(async () => {
  if (stack) await script(stack, 'down', ['--volumes', '--yes'], 5 * MINUTE);
  expect(await leftoversOf(NAME)).toEqual([]);
  rmSync(work, { recursive: true, force: true });
}, 10 * MINUTE);

describe('engine restart (what a reboot does to a stack)', () => {
  it('(a) every service is healthy again within 90 s of the engine coming back, with its data', async () => {
    await addItem(stack, 'before the restart');
    const before = new Map(await Promise.all(LONG_RUNNING.map(async (s) => [s, await startedAt(stack, s)] as const)));

    const started = performance.now();
    const restart = await execa('bash', [join(repoRoot, 'test', 'e2e', 'infra', 'restart-dockerd.sh')], { reject: false, stdin: 'ignore', timeout: 5 * MINUTE });
    expect(restart.exitCode, restart.stderr).toBe(0);
    const engineBack = Math.round((performance.now() - started) / 100) / 10;

    const seconds = await until('every service healthy after the engine restart', 90, () => allHealthy(stack));
    process.stderr.write(`[engine-restart] dockerd stop+start ${engineBack} s (stop ${restart.stdout.trim()} s); all healthy ${seconds} s after the engine answered\n`);
    expect(seconds).toBeLessThanOrEqual(90);
    // They were started again by the engine, not left running (the restart really stopped them).
    for (const service of LONG_RUNNING) expect(await startedAt(stack, service), service).not.toBe(before.get(service));
    const after = await items(stack);
    expect(after.values).toContain('before the restart');
    expect(after.last).toBe('before the restart');
  }, 10 * MINUTE);
});
