/**
 * Real engine, real builds: generate a stack for a small Python app, smoke-test it with the compiled
 * CLI (`smoke --json`), assert on the JSON result, and prove nothing is left running. Offline: base
 * images, Postgres and the package index are the stand-ins test/e2e/infra/setup.sh provides.
 *
 * Cases run one after another (two cores); each has its own long timeout.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';
import type { SmokeResult, SmokeStep } from '../../generators/engine/smoke.js';
import { ensureEngine, expectSmokePassed, imageTrail, leftoversOf, removeImage, stepOf, requireBuiltCli, type E2EEnv } from './engine.js';
import { createRenderNode, RENDER_NODE, type RenderNode } from './render-node.js';

/** What `smoke --json` prints: the engine room's own result type. */
type SmokeJson = SmokeResult;
type Step = SmokeStep;

const MINUTE = 60_000;
let e2e: E2EEnv;
const work = mkdtempSync(join(tmpdir(), 'pyimage-e2e-'));
const report: { case: string; seconds: number; image: string; size: string; success: boolean }[] = [];
const builtImages = new Set<string>();

/** The host's own pip settings must not leak into the builds (these machines set PIP_FIND_LINKS). */
const cleanEnv = { CI: 'true', PIP_INDEX_URL: '', PIP_FIND_LINKS: '', PYTHON_IMAGE: '', POSTGRES_IMAGE: '', BUILD_NETWORK: '' };

function fromFixture(source: string, name: string): string {
  const dir = join(work, name);
  cpSync(join(repoRoot, source), dir, { recursive: true });
  return dir;
}

async function cli(args: string[], timeout = 20 * MINUTE, env: Record<string, string> = {}) {
  return execa('node', [cliPath, ...args], {
    cwd: repoRoot,
    env: { ...cleanEnv, ...env },
    reject: false,
    stdin: 'ignore',
    timeout,
  });
}

async function generate(dir: string, name: string, flags: string[]): Promise<void> {
  const r = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, ...flags], 2 * MINUTE);
  expect(r.exitCode, r.stderr).toBe(0);
}

function overrides(withPostgres = false): string[] {
  return [
    '--base-image',
    e2e.pythonImage,
    ...(withPostgres ? ['--postgres-image', e2e.postgresImage] : []),
    '--pip-index-url',
    e2e.indexUrl,
    '--build-network',
    'host',
  ];
}

function parseResult(stdout: string, stderr: string): SmokeJson {
  try {
    return JSON.parse(stdout) as SmokeJson;
  } catch {
    throw new Error(`stdout is not one JSON object:\n${stdout}\n--- stderr:\n${stderr}`);
  }
}

async function smoke(
  caseName: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ result: SmokeJson; exitCode: number | undefined; stderr: string }> {
  const started = performance.now();
  const r = await cli(args, 20 * MINUTE, env);
  const result = parseResult(String(r.stdout), String(r.stderr));
  if (result.tag) builtImages.add(result.tag);
  report.push({
    case: caseName,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    image: result.tag,
    size: result.size ? `${(result.size / 1e6).toFixed(1)} MB` : '-',
    success: result.success,
  });
  return { result, exitCode: r.exitCode, stderr: String(r.stderr) };
}

const step = (result: SmokeJson, name: string): Step => stepOf(result, name);

function expectPassed(result: SmokeJson, exitCode: number | undefined, stderr: string): void {
  expectSmokePassed(result, exitCode, stderr);
  for (const s of result.steps) {
    expect(typeof s.seconds).toBe('number');
    expect(typeof s.detail).toBe('string');
  }
  expect(step(result, 'teardown').ok).toBe(true);
}

/** The index URL was a build argument only: neither the image config nor its history has it. */
async function expectNoIndexInImage(result: SmokeJson): Promise<void> {
  expect(step(result, 'pip index not in image').ok).toBe(true);
  const trail = await imageTrail(result.imageId);
  expect(trail.length).toBeGreaterThan(100);
  expect(trail).not.toContain(e2e.indexUrl);
  expect(trail).not.toContain(new URL(e2e.indexUrl).host);
}

async function expectNothingLeft(project: string): Promise<void> {
  expect(project).toMatch(/-smoke-[0-9a-f]{6}$/);
  expect(await leftoversOf(project)).toEqual([]);
}

beforeAll(async () => {
  e2e = await ensureEngine();
  requireBuiltCli();
}, 35 * MINUTE);

afterAll(async () => {
  for (const image of builtImages) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
  if (report.length > 0) {
    const rows = report.map((r) => `  ${r.case.padEnd(34)} ${String(r.seconds).padStart(6)}s  ${r.size.padStart(9)}  ${r.image}${r.success ? '' : ' (failed as expected)'}`);
    console.log(`\nreal-engine smoke cases (wall time, app image size):\n${rows.join('\n')}\n`);
  }
}, 5 * MINUTE);

describe.sequential('smoke on a real engine', () => {
  it('engine missing: every piece named with its fix, exit 1, nothing started', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'no-engine');
    await generate(dir, 'e2e-no-engine', []);
    const r = await execa('node', [cliPath, 'smoke', dir, '--json'], {
      env: { ...cleanEnv, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      reject: false,
      stdin: 'ignore',
      timeout: 2 * MINUTE,
    });
    const result = parseResult(String(r.stdout), String(r.stderr));
    expect(r.exitCode).toBe(1);
    expect(result.success).toBe(false);
    const daemon = step(result, 'docker daemon reachable');
    expect(daemon.ok).toBe(false);
    expect(daemon.detail).toMatch(/Fix:/);
    expect(result.steps.map((s) => s.name)).toEqual(['docker daemon reachable', 'compose v2', 'buildx']);
    expect(result.imageId).toBe('');
  }, 3 * MINUTE);

  it('Compose v2 and buildx missing: each named with its fix, exit 1, nothing built or started', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'no-plugins');
    await generate(dir, 'e2e-no-plugins', []);
    // A docker that has neither plugin, in front of the real one.
    const shimDir = join(work, 'docker-without-plugins');
    mkdirSync(shimDir, { recursive: true });
    const realDocker = (await execa('sh', ['-c', 'command -v docker'])).stdout.trim();
    writeFileSync(
      join(shimDir, 'docker'),
      `#!/bin/sh\ncase "$1" in compose|buildx) echo "docker: '$1' is not a docker command." >&2; exit 1 ;; esac\nexec ${realDocker} "$@"\n`,
      { mode: 0o755 },
    );
    const r = await execa('node', [cliPath, 'smoke', dir, '--json'], {
      env: { ...cleanEnv, PATH: `${shimDir}:${process.env.PATH ?? ''}` },
      reject: false,
      stdin: 'ignore',
      timeout: 2 * MINUTE,
    });
    const result = parseResult(String(r.stdout), String(r.stderr));
    expect(r.exitCode).toBe(1);
    expect(step(result, 'docker daemon reachable').ok).toBe(true);
    expect(step(result, 'compose v2').ok).toBe(false);
    expect(step(result, 'compose v2').detail).toMatch(/Fix: install the docker-compose-plugin/);
    expect(step(result, 'buildx').ok).toBe(false);
    expect(step(result, 'buildx').detail).toMatch(/Fix: install docker-buildx-plugin/);
    expect(result.steps).toHaveLength(3);
  }, 3 * MINUTE);

  it('a missing requirements file fails the build step with a clear message', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'no-reqs');
    await generate(dir, 'e2e-no-reqs', []);
    unlinkSync(join(dir, 'requirements.txt'));
    const { result, exitCode } = await smoke('missing requirements.txt', ['smoke', dir, '--json', ...overrides()]);
    expect(exitCode).toBe(1);
    const build = step(result, 'build images');
    expect(build.ok).toBe(false);
    expect(build.detail).toMatch(/requirements\.txt missing/);
    expect(build.detail).toMatch(/pip freeze > requirements\.txt|--requirements-file/);
    expect(result.message).toContain('"build images" failed');
    await expectNothingLeft(result.project);
  }, 5 * MINUTE);

  it('a failing build step: its own log is the detail, not the whole build', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'build-fails');
    appendFileSync(join(dir, 'requirements.txt'), 'not-in-the-index==1.0\n');
    await generate(dir, 'e2e-build-fails', []);
    const { result, exitCode, stderr } = await smoke('failing pip install', ['smoke', dir, '--json', ...overrides()]);
    expect(exitCode).toBe(1);
    const build = step(result, 'build images');
    expect(build.ok).toBe(false);
    expect(build.detail).toMatch(/^docker compose build failed/);
    expect(build.detail).toMatch(/#\d+ [\d.]+ ERROR: No matching distribution found for not-in-the-index==1\.0/);
    expect(build.detail).toMatch(/failed to solve/);
    expect(stderr).toContain('No matching distribution found for not-in-the-index==1.0');
    expect(result.steps.map((s) => s.name).slice(-2)).toEqual(['build images', 'teardown']);
    await expectNothingLeft(result.project);
  }, 10 * MINUTE);

  it('(a) FastAPI + uvicorn, requirements.txt, no database', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'fastapi');
    await generate(dir, 'e2e-fastapi', ['--framework', 'fastapi']);
    const { result, exitCode, stderr } = await smoke('(a) fastapi + uvicorn', ['smoke', dir, '--json', ...overrides()]);
    expectPassed(result, exitCode, stderr);
    expect(result.tag).toBe('e2e-fastapi:0.1.0');
    expect(result.steps.map((s) => s.name)).toEqual([
      'docker daemon reachable',
      'compose v2',
      'buildx',
      'build images',
      'pip index not in image',
      'start stack (up --wait)',
      'every service healthy',
      'health probe',
      'app runs as non-root',
      'graceful stop',
      'crash recovery',
      'teardown',
    ]);
    expect(step(result, 'health probe').detail).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/health -> 200 \{"status":"ok"\}/);
    await expectNoIndexInImage(result);
    await expectNothingLeft(result.project);
  }, 20 * MINUTE);

  it('(a) again through the generated scripts/smoke-test.sh, overrides from the environment', async () => {
    const dir = join(work, 'fastapi');
    const started = performance.now();
    const r = await execa('bash', [join(dir, 'scripts', 'smoke-test.sh'), '--timeout', '120'], {
      cwd: dir,
      env: { ...cleanEnv, PYTHON_IMAGE: e2e.pythonImage, PIP_INDEX_URL: e2e.indexUrl, BUILD_NETWORK: 'host' },
      reject: false,
      stdin: 'ignore',
      timeout: 20 * MINUTE,
    });
    report.push({ case: '(a) via scripts/smoke-test.sh', seconds: Math.round((performance.now() - started) / 100) / 10, image: 'e2e-fastapi:0.1.0', size: '-', success: r.exitCode === 0 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/smoke test passed/);
    expect(r.stderr).toMatch(/app runs as UID [1-9]/);
    expect(await leftoversOf('e2e-fastapi-smoke-', true)).toEqual([]);
  }, 20 * MINUTE);

  it('(b) Flask + gunicorn + Postgres (psycopg2, libpq) + worker + an alembic migration the app reads', async () => {
    const dir = fromFixture('test/fixtures/e2e-flask-postgres', 'flask-postgres');
    await generate(dir, 'e2e-flask-pg', [
      '--framework',
      'flask',
      '--postgres',
      '--postgres-version',
      e2e.postgresVersion,
      '--libpq',
      '--worker',
      'python -m app.worker',
      '--migrations',
      'alembic',
    ]);
    const { result, exitCode, stderr } = await smoke('(b) flask + postgres + worker', [
      'smoke',
      dir,
      '--json',
      ...overrides(true),
    ]);
    expectPassed(result, exitCode, stderr);
    expect(step(result, 'every service healthy').detail).toMatch(/app running \(healthy\).*db running \(healthy\).*worker running/);
    expect(step(result, 'migration exited 0').detail).toMatch(/Running upgrade\s+-> 0001/);
    expect(step(result, 'worker running').ok).toBe(true);
    expect(step(result, 'database answers').detail).toMatch(/select 1 -> 1/);
    // /health answers 200 only after reading the row the migration inserted.
    expect(step(result, 'health probe').detail).toContain('hello from the alembic migration');
    // The password file was made like scripts/up.sh makes it.
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'secrets', 'db_password')).mode & 0o777).toBe(0o444);
    await expectNoIndexInImage(result);
    await expectNothingLeft(result.project);
  }, 25 * MINUTE);

  it('Ctrl-C while the stack starts: the step stops, everything is torn down, exit 130', async () => {
    const dir = join(work, 'flask-postgres');
    const started = performance.now();
    const child = execa('node', [cliPath, 'smoke', dir, ...overrides(true)], {
      cwd: repoRoot,
      env: cleanEnv,
      reject: false,
      stdin: 'ignore',
      timeout: 10 * MINUTE,
    });
    let stderr = '';
    let sent = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && stderr.includes('start stack')) {
        sent = true;
        // Let compose create the network, volume and containers first.
        setTimeout(() => child.kill('SIGINT'), 4_000);
      }
    });
    const r = await child;
    report.push({ case: 'Ctrl-C during start (b)', seconds: Math.round((performance.now() - started) / 100) / 10, image: 'e2e-flask-pg:0.1.0', size: '-', success: false });
    expect(sent, stderr).toBe(true);
    expect(r.exitCode, stderr).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopping the current step, then tearing down/);
    expect(stderr).toMatch(/teardown .*no containers, networks or volumes left for (e2e-flask-pg-smoke-[0-9a-f]{6})/);
    const project = /left for (e2e-flask-pg-smoke-[0-9a-f]{6})/.exec(stderr)![1]!;
    await expectNothingLeft(project);
  }, 10 * MINUTE);

  it('(c) pyproject.toml + app factory (package:create_app()), installed with pip, via `create-pyimage [dir] --smoke`', async () => {
    const dir = fromFixture('test/fixtures/e2e-pyproject-factory', 'pyproject-factory');
    const { result, exitCode, stderr } = await smoke('(c) pyproject + factory (--smoke)', [
      dir,
      '--yes',
      '--name',
      'e2e-factory',
      '--python',
      e2e.pythonVersion,
      '--framework',
      'flask',
      '--deps',
      'pip-pyproject',
      '--app',
      'hello_factory:create_app()',
      '--health-path',
      '/healthz',
      '--smoke',
      '--json',
      ...overrides(),
    ]);
    expect(existsSync(join(dir, 'Dockerfile'))).toBe(true);
    expectPassed(result, exitCode, stderr);
    // version("hello-factory") only resolves when pip installed the project itself.
    expect(step(result, 'health probe').detail).toMatch(/\/healthz -> 200 .*"version":"0\.3\.0"/);
    await expectNothingLeft(result.project);
  }, 20 * MINUTE);

  it('(d) render GPU on a host without /dev/dri: base stack starts, the override is skipped with a notice', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'gpu-render');
    await generate(dir, 'e2e-gpu', ['--gpu', 'render']);
    expect(existsSync(join(dir, 'docker-compose.gpu.yml'))).toBe(true);
    const hasDri = existsSync('/dev/dri');
    const { result, exitCode, stderr } = await smoke('(d) gpu=render, no /dev/dri', ['smoke', dir, '--json', ...overrides()]);
    expectPassed(result, exitCode, stderr);
    const gpu = step(result, 'gpu override');
    if (hasDri) {
      expect(gpu.detail).toMatch(/using docker-compose\.gpu\.yml/);
    } else {
      expect(gpu.detail).toMatch(/skipped: no \/dev\/dri on this host.*docker-compose\.gpu\.yml not used/);
    }
    await expectNothingLeft(result.project);
  }, 20 * MINUTE);

  it('(d2) NVIDIA on a host without the device: skipped, saying what was not proven; compose accepts the override', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'gpu-nvidia');
    await generate(dir, 'e2e-gpu-nvidia', ['--gpu', 'nvidia']);
    const hasNvidia = existsSync('/dev/nvidiactl') || existsSync('/dev/nvidia0');
    const { result, exitCode, stderr } = await smoke('(d2) gpu=nvidia, no device', ['smoke', dir, '--json', ...overrides()]);
    expectPassed(result, exitCode, stderr);
    const gpu = step(result, 'gpu override');
    if (hasNvidia) {
      expect(gpu.detail).toMatch(/^using docker-compose\.gpu\.yml: NVIDIA device reservation for app\. Not checked:/);
    } else {
      expect(gpu.detail).toBe(
        'skipped: no NVIDIA device on this host (/dev/nvidiactl, /dev/nvidia0), so the base stack runs without GPU access (docker-compose.gpu.yml not used). ' +
          'Not proven: that the NVIDIA Container Toolkit grants its reservation (driver nvidia, count all, capabilities [gpu]) to app, and that UID 10001 can use the GPU there. ' +
          'Proven only: docker compose config accepts it on top of docker-compose.yml',
      );
    }
    expect(result.steps.map((s) => s.name)).not.toContain('gpu render node opens as the app user');
    await expectNothingLeft(result.project);
  }, 20 * MINUTE);

  it('(e) a broken app (import error): success false, the failing step named, app logs shown, nothing left', async () => {
    const dir = fromFixture('test/fixtures/e2e-broken-import', 'broken');
    await generate(dir, 'e2e-broken', ['--framework', 'fastapi']);
    const { result, exitCode, stderr } = await smoke('(e) broken app (import error)', [
      'smoke',
      dir,
      '--json',
      '--timeout',
      '90',
      ...overrides(),
    ]);
    expect(exitCode).toBe(1);
    expect(result.success).toBe(false);
    const failed = result.steps.filter((s) => !s.ok);
    expect(failed.map((s) => s.name)).toEqual(['start stack (up --wait)']);
    expect(result.message).toContain('"start stack (up --wait)" failed');
    expect(failed[0]!.detail).toMatch(/--- app .*logs:/);
    expect(failed[0]!.detail).toContain("ModuleNotFoundError: No module named 'payments_sdk_that_is_not_installed'");
    // The tail is on stderr for a person too; stdout holds the JSON alone.
    expect(stderr).toContain('ModuleNotFoundError');
    expect(step(result, 'teardown').ok).toBe(true);
    await expectNothingLeft(result.project);
  }, 20 * MINUTE);
  describe('render GPU on a stand-in render node (c 1 3, group render)', () => {
    let node: RenderNode | undefined;
    const dir = () => join(work, 'gpu-node');
    const GPU_STEP = 'gpu render node opens as the app user';

    beforeAll(async () => {
      node = await createRenderNode();
    }, MINUTE);

    // Also after a failed case: the node and the group must not outlive the test.
    afterAll(async () => {
      await node?.remove();
      if (node?.simulated) expect(existsSync(RENDER_NODE)).toBe(false);
      if (node?.ownGroup) expect(readFileSync('/etc/group', 'utf8')).not.toMatch(/^render:/m);
    }, MINUTE);

    it('(f) the override is used and the app and the worker open the node read-write as UID 10001', async () => {
      fromFixture('examples/fastapi-hello', 'gpu-node');
      await generate(dir(), 'e2e-gpu-node', ['--gpu', 'render', '--worker', 'python -c "import time; time.sleep(86400)"', '--gpu-services', 'app,worker']);
      // RENDER_GID unset: smoke takes the render group's GID from the host, as scripts/up.sh does.
      const { result, exitCode, stderr } = await smoke('(f) gpu=render, stand-in node', ['smoke', dir(), '--json', ...overrides()], { RENDER_GID: '' });
      expectPassed(result, exitCode, stderr);
      const gid = node!.gid;
      expect(step(result, 'gpu override').detail).toBe(`using docker-compose.gpu.yml: /dev/dri with render group ${gid}`);
      const names = result.steps.map((s) => s.name);
      expect(names.slice(-4)).toEqual([GPU_STEP, 'graceful stop', 'crash recovery', 'teardown']);
      const detail = step(result, GPU_STEP).detail.split('\n');
      expect(detail).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^app: /dev/dri/renderD128(, /dev/dri/renderD\\d+)* opened read-write as UID 10001 through GID ${gid} \\(RENDER_GID=${gid}\\)$`)),
          expect.stringMatching(new RegExp(`^worker: /dev/dri/renderD128(, /dev/dri/renderD\\d+)* opened read-write as UID 10001 through GID ${gid} `)),
        ]),
      );
      await expectNothingLeft(result.project);
    }, 20 * MINUTE);

    it('(g) a wrong RENDER_GID fails at the GPU step, naming the node, both GIDs and getent group render', async () => {
      const gid = node!.gid;
      const wrong = String(gid + 1);
      const { result, exitCode, stderr } = await smoke('(g) gpu=render, wrong RENDER_GID', ['smoke', dir(), '--json', ...overrides()], { RENDER_GID: wrong });
      expect(exitCode, stderr).toBe(1);
      expect(result.success).toBe(false);
      expect(result.steps.filter((s) => !s.ok).map((s) => s.name)).toEqual([GPU_STEP]);
      const failure = step(result, GPU_STEP).detail;
      const groups = [10001, Number(wrong)].sort((x, y) => x - y).join(',');
      for (const service of ['app', 'worker']) {
        expect(failure).toContain(
          `${service} (UID 10001, groups ${groups}) cannot open /dev/dri/renderD128 read-write (EACCES): the node belongs to GID ${gid}, but RENDER_GID is ${wrong}. ` +
            `Fix: set RENDER_GID to the host's render group, \`getent group render | cut -d: -f3\` (here ${gid})`,
        );
      }
      expect(result.message).toMatch(new RegExp(`^"${GPU_STEP}" failed: app .*getent group render`));
      expect(step(result, 'teardown').ok).toBe(true);
      await expectNothingLeft(result.project);
    }, 20 * MINUTE);
  });
});
