/**
 * Issue 21 (b): Podman applies no restart policy after a reboot. The stack (Postgres, Redis, an RQ
 * worker) is stopped the way a shutdown stops it and stays down; the unit scripts/install-boot.sh
 * writes is then run the way systemd runs it at boot (its Environment= and ExecStart=, a clean
 * environment, cwd /), and every service is healthy again with its data. ExecStop (shutdown) keeps
 * the data too. No systemd runs here, so the test runs the unit's commands itself.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execWords, unitKeys } from '../systemd-unit.js';
import { ensureEngine, leftoversOf, readEnvFile, requireBuiltCli } from './engine.js';
import { MINUTE, workDir } from './harness.js';
import { addItem, allHealthy, generateStack, items, LONG_RUNNING, script, states, until, type Stack } from './lifecycle.js';

const work = workDir('pyimage-boot-');
const NAME = 'e2e-life-boot';
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
let stack: Stack;
let unit: Map<string, string[]>;

/** Runs one Exec line of the unit as systemd would: its words, Environment= only, from /. */
async function runExec(key: 'ExecStart' | 'ExecStop') {
  const words = execWords(unit.get(`Service.${key}`)![0]!);
  const env: Record<string, string> = { PATH: SYSTEMD_PATH, PODMAN_IGNORE_CGROUPSV1_WARNING: '1' };
  for (const assignment of unit.get('Service.Environment') ?? []) {
    const [name, ...value] = assignment.split('=');
    env[name!] = value.join('=');
  }
  return execa(words[0]!, words.slice(1), { cwd: '/', env, extendEnv: false, reject: false, stdin: 'ignore', timeout: Number(unit.get('Service.TimeoutStartSec')![0]) * 1000 });
}

beforeAll(async () => {
  requireBuiltCli();
  const e2e = await ensureEngine();
  const facts = readEnvFile();
  const images = { python: facts.PYIMAGE_E2E_PODMAN_PYTHON_IMAGE!, postgres: facts.PYIMAGE_E2E_PODMAN_POSTGRES_IMAGE!, redis: facts.PYIMAGE_E2E_PODMAN_REDIS_IMAGE! };
  expect(Object.values(images).every(Boolean), 'e2e.env has the PYIMAGE_E2E_PODMAN_* images (test/e2e/infra/setup.sh)').toBe(true);
  stack = await generateStack(work, NAME, e2e, 'podman', images);
  const up = await script(stack, 'up', ['--timeout', '240']);
  expect(up.exitCode, up.stderr).toBe(0);
}, 25 * MINUTE);

afterAll(async () => {
  if (stack) await script(stack, 'down', ['--volumes', '--yes'], 5 * MINUTE);
  expect(await leftoversOf(NAME, false, 'podman')).toEqual([]);
  rmSync(work, { recursive: true, force: true });
}, 10 * MINUTE);

describe('Podman: back after a reboot through the boot unit', () => {
  it('(b) stays down after a shutdown by itself; the unit\'s ExecStart brings every service back with its data', async () => {
    await addItem(stack, 'before the reboot');
    // Shutdown: every container gets SIGTERM and exits; Podman starts none of them again.
    const ids = (await execa('podman', ['ps', '-q', '--filter', `label=com.docker.compose.project=${NAME}`], { env: stack.env, extendEnv: false })).stdout.split('\n').filter(Boolean);
    expect(ids.length).toBeGreaterThanOrEqual(LONG_RUNNING.length);
    const stop = await execa('podman', ['stop', '--time', '30', ...ids], { env: stack.env, extendEnv: false, reject: false });
    expect(stop.exitCode, stop.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const down = await states(stack);
    for (const service of LONG_RUNNING) expect(down.get(service), service).toMatch(/^Exited/);

    const installed = await script(stack, 'install-boot', ['--unit-dir', join(work, 'units'), '--no-enable']);
    expect(installed.exitCode, installed.stderr).toBe(0);
    unit = unitKeys(readFileSync(join(work, 'units', `${NAME}-stack.service`), 'utf8'));
    expect(unit.get('Service.Environment')).toEqual(['CONTAINER_ENGINE=podman']);

    const started = performance.now();
    const boot = await runExec('ExecStart');
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    expect(boot.exitCode, boot.stderr).toBe(0);
    process.stderr.write(`[boot] podman: the unit's ExecStart had every service healthy in ${seconds} s\n`);
    expect(seconds).toBeLessThanOrEqual(90);
    await until('healthy after boot', 30, () => allHealthy(stack));
    const after = await items(stack);
    expect(after.values).toContain('before the reboot');
    expect(after.last).toBe('before the reboot');
  }, 15 * MINUTE);

  it('the unit\'s ExecStop (shutdown) removes the containers and keeps the data for the next boot', async () => {
    const stop = await runExec('ExecStop');
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect((await states(stack)).size).toBe(0);
    const boot = await runExec('ExecStart');
    expect(boot.exitCode, boot.stderr).toBe(0);
    await until('healthy after the second boot', 30, () => allHealthy(stack));
    expect((await items(stack)).values).toContain('before the reboot');
  }, 15 * MINUTE);
});
