/**
 * scripts/logs.sh on a real engine, with a generated stack up (scripts/up.sh): into a pipe it writes
 * no terminal control sequences, and --no-log-prefix drops the service prefix. Then scripts/down.sh
 * leaves nothing behind.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, leftoversOf, removeImage, requireBuiltCli, type E2EEnv } from './engine.js';
import { cleanEnv, cli, fromFixture, MINUTE, workDir } from './harness.js';

const PROJECT = 'e2e-logs';
let e2e: E2EEnv;
const work = workDir('pyimage-e2e-logs-');

beforeAll(async () => {
  e2e = await ensureEngine();
  requireBuiltCli();
}, 35 * MINUTE);

afterAll(async () => {
  await removeImage(`${PROJECT}:0.1.0`);
  rmSync(work, { recursive: true, force: true });
}, 5 * MINUTE);

describe('scripts/logs.sh', () => {
  it('into a pipe: no ESC byte (no colours, no ESC[2K), the app\'s lines are there; --no-log-prefix drops the prefix', async () => {
    const dir = fromFixture(work, 'examples/fastapi-hello', 'fastapi');
    const generated = await cli([dir, '--yes', '--name', PROJECT, '--python', e2e.pythonVersion, '--framework', 'fastapi'], { timeout: 2 * MINUTE });
    expect(generated.exitCode, generated.stderr).toBe(0);
    const env = { ...cleanEnv, APP_PORT: '0', PYTHON_IMAGE: e2e.pythonImage, PIP_INDEX_URL: e2e.indexUrl, BUILD_NETWORK: 'host' };
    const script = (command: string) => execa('bash', ['-c', command], { cwd: dir, env, reject: false, stdin: 'ignore', timeout: 15 * MINUTE });
    const up = await script('scripts/up.sh --timeout 180');
    try {
      expect(up.exitCode, up.stderr).toBe(0);
      const piped = await script('scripts/logs.sh | cat');
      expect(piped.exitCode, piped.stderr).toBe(0);
      expect(piped.stdout).toMatch(/app-1\s+\|.*(Uvicorn running|Application startup complete)/);
      expect(piped.stdout.includes('\x1b'), JSON.stringify(piped.stdout.slice(0, 400))).toBe(false);
      expect(piped.stdout).not.toContain('\r');

      const bare = await script('scripts/logs.sh --no-log-prefix app | cat');
      expect(bare.exitCode, bare.stderr).toBe(0);
      expect(bare.stdout).toMatch(/Uvicorn running|Application startup complete/);
      expect(bare.stdout).not.toMatch(/app-1\s+\|/);
      expect(bare.stdout.includes('\x1b')).toBe(false);
    } finally {
      const down = await script('scripts/down.sh --volumes');
      expect(down.exitCode, down.stderr).toBe(0);
    }
    expect(await leftoversOf(PROJECT)).toEqual([]);
  }, 20 * MINUTE);
});
