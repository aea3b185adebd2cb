/**
 * scripts/logs.sh on a real engine, with a generated stack up (scripts/up.sh): into a pipe it writes
 * no terminal control sequences (Compose's own output there has ESC[2K when a terminal is attached,
 * the control), and --no-log-prefix drops the service prefix. Then scripts/down.sh leaves nothing.
 */
import { readFileSync, rmSync } from 'node:fs';
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
      // As in a terminal (util-linux `script` gives the scripts one on stdin and stderr), stdout into `| cat`:
      // Compose itself then starts every line with ESC[2K (the control), logs.sh lets none through.
      const inTerminal = async (command: string, out: string) => {
        const r = await script(`SHELL=/bin/bash script -qec '${command} | cat > ${out}' /dev/null`);
        expect(r.exitCode, r.stderr + r.stdout).toBe(0);
        return readFileSync(join(dir, out), 'utf8');
      };
      const raw = await inTerminal('source scripts/lib.sh; "${COMPOSE[@]}" logs', 'raw.txt');
      expect(raw, 'control: Compose writes control sequences into a pipe').toContain('\x1b[2K');
      const piped = await inTerminal('scripts/logs.sh', 'piped.txt');
      expect(piped).toMatch(/app-1\s+\|.*(Uvicorn running|Application startup complete)/);
      expect(piped.includes('\x1b'), JSON.stringify(piped.slice(0, 400))).toBe(false);
      expect(piped).not.toContain('\r');

      const bare = await inTerminal('scripts/logs.sh --no-log-prefix app', 'bare.txt');
      expect(bare).toMatch(/Uvicorn running|Application startup complete/);
      expect(bare).not.toMatch(/app-1\s+\|/);
      expect(bare.includes('\x1b')).toBe(false);

      // Without a terminal anywhere (CI): the same.
      const plain = await script('scripts/logs.sh | cat');
      expect(plain.exitCode, plain.stderr).toBe(0);
      expect(plain.stdout).toMatch(/Uvicorn running|Application startup complete/);
      expect(plain.stdout.includes('\x1b')).toBe(false);
    } finally {
      const down = await script('scripts/down.sh --volumes --yes');
      expect(down.exitCode, down.stderr).toBe(0);
    }
    expect(await leftoversOf(PROJECT)).toEqual([]);
  }, 20 * MINUTE);
});
