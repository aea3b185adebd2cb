/**
 * The update issue's scenario on the real engine: generate a Flask service, edit the compose file
 * (a `redis` service, a larger memory limit) and the Dockerfile (an apt package), run
 * `update --set postgres=true`, and prove the result with `create-pyimage smoke`.
 *
 * Needs the e2e infrastructure (bash test/e2e/infra/setup.sh, as root): a Docker engine, the
 * stand-in images and the local package index. Without it this test FAILS; it never skips.
 * The user's "redis" runs the stand-in Python image as a TCP sidecar: no registry is reachable here.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { cliPath, repoRoot, tempDir } from '../helpers.js';
import { ensureEngine, type E2EEnv } from './engine.js';

const NAME = 'pyimage-update-e2e';

function cli(args: string[], timeoutMs = 120_000) {
  return execa('node', [cliPath, ...args], {
    cwd: repoRoot,
    env: { CI: 'true' },
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
  });
}

function edit(dir: string, path: string, change: (text: string) => string): void {
  const file = join(dir, path);
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the edit of ${path} matched nothing: the generated file changed shape`);
  writeFileSync(file, after);
}

const REDIS_SERVICE = [
  '  # Session cache (added by hand): a stand-in TCP service on 6379, no registry needed.',
  '  redis:',
  '    image: ${PYTHON_IMAGE:-python:3.11-slim-bookworm}',
  '    command: ["python", "-c", "import socketserver as s; s.TCPServer((\'0.0.0.0\', 6379), s.BaseRequestHandler).serve_forever()"]',
  '    read_only: true',
  '    cap_drop:',
  '      - ALL',
  '    networks:',
  '      - frontend',
].join('\n');

const APT_LINE =
  '# Added by hand: jq for debugging inside the container.\n' +
  'RUN apt-get update \\\n    && apt-get install -y --no-install-recommends jq \\\n    && rm -rf /var/lib/apt/lists/*\n';

describe('update on the real engine', () => {
  let env: E2EEnv;
  let dir: string;
  let cleanup: () => void = () => {};
  let imageId = '';

  afterAll(async () => {
    if (imageId) await execa('docker', ['image', 'rm', '--force', imageId], { reject: false, timeout: 60_000 });
    cleanup();
  });

  it('keeps redis, the memory limit and the apt package; adds db, secrets and scripts; smoke passes', async () => {
    // Inside the test, not in a hook: a missing engine must fail this test, not skip it.
    env = await ensureEngine();

    const t = tempDir('pyimage-update-e2e-');
    cleanup = t.cleanup;
    dir = join(t.dir, NAME);
    cpSync(join(repoRoot, 'test/fixtures/update-app'), dir, { recursive: true });

    // 1. Generate without a database (detection would offer one: psycopg2 is in the requirements).
    const gen = await cli([dir, '--yes', '--name', NAME, '--framework', 'flask', '--python', env.pythonVersion, '--no-postgres', '--no-libpq', '--no-native-build']);
    expect(gen.exitCode, gen.stderr).toBe(0);

    // 2. The user's edits.
    edit(dir, 'docker-compose.yml', (t) => t.replace('          memory: 512m', '          memory: 768m').replace(/\nnetworks:\n/, `\n${REDIS_SERVICE}\nnetworks:\n`));
    // Into the runtime stage (the last USER line: the dev stage before it has its own).
    edit(dir, 'Dockerfile', (t) => {
      const at = t.lastIndexOf('\nUSER ') + 1;
      return t.slice(0, at) + APT_LINE + t.slice(at);
    });

    // 3. The update: a database (psycopg2 needs libpq5 at run time, hence libpq too).
    const up = await cli(['update', dir, '--set', 'postgres=true', '--set', `postgres-version=${env.postgresVersion}`, '--set', 'libpq=true']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(up.stdout).toMatch(/merged +docker-compose\.yml/);
    expect(up.stdout).toMatch(/merged +Dockerfile/);
    expect(up.stdout).toMatch(/added +scripts\/backup-db\.sh/);

    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'));
    expect(Object.keys(compose.services)).toEqual(['app', 'redis', 'db']);
    expect(compose.services.app.deploy.resources.limits.memory).toBe('768m');
    expect(compose.services.app.secrets).toEqual(['db_password']);
    expect(compose.secrets.db_password.file).toBe('./secrets/db_password');
    expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).toContain('# Session cache (added by hand)');
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('--no-install-recommends jq');
    expect(dockerfile).toContain('libpq5');

    // 4. The proof: build, start, probe (the health endpoint queries the database), tear down.
    const smoke = await cli(
      ['smoke', dir, '--json', '--base-image', env.pythonImage, '--postgres-image', env.postgresImage, '--pip-index-url', env.indexUrl, '--build-network', 'host'],
      25 * 60_000,
    );
    let result: { success: boolean; message: string; imageId: string; steps: { name: string; ok: boolean; detail: string }[] };
    try {
      result = JSON.parse(smoke.stdout);
    } catch {
      throw new Error(`smoke printed no JSON (exit ${smoke.exitCode}):\n${smoke.stdout}\n${smoke.stderr.slice(-4000)}`);
    }
    imageId = result.imageId;
    expect(result.success, `${result.message}\n${JSON.stringify(result.steps, null, 1)}\n${smoke.stderr.slice(-4000)}`).toBe(true);
    expect(smoke.exitCode).toBe(0);
    const step = (name: string) => result.steps.find((s) => s.name === name);
    expect(step('database answers')?.ok).toBe(true);
    expect(step('every service healthy')?.detail).toMatch(/redis/);
    expect(step('health probe')?.detail).toMatch(/-> 200 .*"db": ?1/);

    // The user's apt package made it into the image.
    const jq = await execa('docker', ['run', '--rm', '--entrypoint', 'jq', imageId, '--version'], { reject: false, timeout: 60_000 });
    expect(jq.exitCode, jq.stderr).toBe(0);
    expect(jq.stdout).toMatch(/^jq-/);
  }, 30 * 60_000);
});
