/**
 * The same stacks on Podman 5 (trixie, runc, Compose v2 as `podman compose`'s provider over the API
 * socket, no systemd): `smoke --engine podman` builds, starts, drives the healthchecks, probes and
 * tears down, and one answer set is smoked unchanged on Docker and on Podman. Set-up:
 * test/e2e/infra/setup.sh (its podman.sh step). Fails, never skips, when Podman is missing.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';
import type { SmokeResult } from '../../generators/engine/smoke.js';
import { ensureEngine, expectSmokePassed, leftoversOf, readEnvFile, stepOf, requireBuiltCli, type E2EEnv } from './engine.js';

const MINUTE = 60_000;
const work = mkdtempSync(join(tmpdir(), 'pyimage-podman-'));
const cleanEnv = {
  CI: 'true',
  PIP_INDEX_URL: '',
  PIP_FIND_LINKS: '',
  PYTHON_IMAGE: '',
  POSTGRES_IMAGE: '',
  BUILD_NETWORK: '',
  CONTAINER_ENGINE: '',
  PODMAN_IGNORE_CGROUPSV1_WARNING: '1',
};
const report: { case: string; engine: string; seconds: number; success: boolean }[] = [];
const built: { engine: string; tag: string }[] = [];

interface PodmanEnv {
  pythonImage: string;
  postgresImage: string;
  socket: string;
}
let e2e: E2EEnv;
let podman: PodmanEnv;

async function podmanReady(): Promise<PodmanEnv | string> {
  const env = existsSync(join(process.env.PYIMAGE_E2E_CACHE_DIR ?? '/var/cache/create-pyimage', 'e2e.env')) ? readEnvFile() : {};
  const socket = env.PYIMAGE_E2E_PODMAN_SOCKET;
  const pythonImage = env.PYIMAGE_E2E_PODMAN_PYTHON_IMAGE;
  const postgresImage = env.PYIMAGE_E2E_PODMAN_POSTGRES_IMAGE;
  if (!socket || !pythonImage || !postgresImage) return 'e2e.env has no PYIMAGE_E2E_PODMAN_* facts';
  const ping = await execa('podman', ['--url', socket, 'version', '--format', '{{.Server.Version}}'], { reject: false, env: cleanEnv, timeout: 20_000 });
  if (ping.exitCode !== 0) return `the Podman API socket ${socket} does not answer`;
  const images = await execa('podman', ['image', 'exists', pythonImage], { reject: false, env: cleanEnv });
  if (images.exitCode !== 0) return `podman has no ${pythonImage}`;
  // A restarted dockerd may drop the rule that lets podman's bridges past Docker's FORWARD DROP.
  const dockerChain = await execa('iptables', ['-S', 'DOCKER-USER'], { reject: false });
  if (dockerChain.exitCode === 0 && !String(dockerChain.stdout).includes('-i podman+ -j ACCEPT')) return 'podman bridges are not let past Docker\'s FORWARD chain';
  return { socket, pythonImage, postgresImage };
}

async function podmanLines(args: string[]): Promise<string[]> {
  const r = await execa('podman', args, { reject: false, env: cleanEnv, timeout: 30_000 });
  return String(r.stdout).split('\n').filter(Boolean);
}

async function cli(args: string[], env: Record<string, string> = {}, timeout = 20 * MINUTE) {
  return execa('node', [cliPath, ...args], { cwd: repoRoot, env: { ...cleanEnv, ...env }, reject: false, stdin: 'ignore', timeout });
}

function fromFixture(source: string, name: string): string {
  const dir = join(work, name);
  cpSync(join(repoRoot, source), dir, { recursive: true });
  return dir;
}

async function generate(dir: string, name: string, flags: string[]): Promise<void> {
  const r = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, ...flags], {}, 2 * MINUTE);
  expect(r.exitCode, r.stderr).toBe(0);
}

const FLASK_PG_FLAGS = (version: string) => [
  '--framework',
  'flask',
  '--postgres',
  '--postgres-version',
  version,
  '--libpq',
  '--worker',
  'python -m app.worker',
  '--migrations',
  'alembic',
];

function overrides(engine: 'docker' | 'podman', withPostgres: boolean): string[] {
  const images = engine === 'podman' ? podman : e2e;
  return [
    '--engine',
    engine,
    '--base-image',
    images.pythonImage,
    ...(withPostgres ? ['--postgres-image', images.postgresImage] : []),
    '--pip-index-url',
    e2e.indexUrl,
    '--build-network',
    'host',
  ];
}

async function smoke(caseName: string, engine: 'docker' | 'podman', dir: string, withPostgres: boolean) {
  const started = performance.now();
  const r = await cli(['smoke', dir, '--json', ...overrides(engine, withPostgres)]);
  let result: SmokeResult;
  try {
    result = JSON.parse(String(r.stdout)) as SmokeResult;
  } catch {
    throw new Error(`stdout is not one JSON object:\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
  if (result.tag) built.push({ engine, tag: result.tag });
  report.push({ case: caseName, engine, seconds: Math.round((performance.now() - started) / 100) / 10, success: result.success });
  return { result, exitCode: r.exitCode, stderr: String(r.stderr) };
}

const step = stepOf;
const expectPassed = expectSmokePassed;

const PODMAN_STEPS = ['podman', 'podman API socket', 'compose provider', 'buildah features'];

/** Nothing of the project in `podman ps -a`, `podman volume ls` or `podman network ls`. */
async function expectNothingLeftOnPodman(project: string): Promise<void> {
  expect(project).toMatch(/-smoke-[0-9a-f]{6}$/);
  expect(await leftoversOf(project, false, 'podman')).toEqual([]);
}

/** Every file under dir with its content, to prove two smoke runs used the same generated files. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  e2e = await ensureEngine();
  let ready = await podmanReady();
  if (typeof ready === 'string') {
    process.stderr.write(`[e2e] ${ready}: running test/e2e/infra/setup.sh\n`);
    await execa('bash', [join(repoRoot, 'test', 'e2e', 'infra', 'setup.sh')], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'inherit', timeout: 30 * MINUTE });
    ready = await podmanReady();
  }
  if (typeof ready === 'string') throw new Error(`the Podman e2e tests need Podman 5: ${ready}. Run as root: bash test/e2e/infra/setup.sh`);
  podman = ready;
  requireBuiltCli();
}, 35 * MINUTE);

afterAll(async () => {
  for (const { engine, tag } of built) {
    await execa(engine, ['image', 'rm', '--force', tag], { reject: false, env: cleanEnv, timeout: MINUTE });
  }
  rmSync(work, { recursive: true, force: true });
  if (report.length > 0) {
    const rows = report.map((r) => `  ${r.case.padEnd(44)} ${r.engine.padEnd(7)} ${String(r.seconds).padStart(6)}s${r.success ? '' : ' (failed)'}`);
    console.log(`\nsmoke wall times by engine:\n${rows.join('\n')}\n`);
  }
}, 5 * MINUTE);

describe.sequential('smoke on Podman 5', () => {
  it('--engine with an unknown name: exit 2, the flag and the choices named, nothing run', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'bad-engine');
    await generate(dir, 'e2e-pm-bad', []);
    const r = await cli(['smoke', dir, '--engine', 'rkt']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--engine: "rkt" is not an engine.*docker or podman/);
    const env = await cli(['smoke', dir], { CONTAINER_ENGINE: 'lxc' });
    expect(env.exitCode).toBe(2);
    expect(env.stderr).toMatch(/CONTAINER_ENGINE: "lxc"/);
  }, 3 * MINUTE);

  it('podman-compose as provider and a dead API socket: each named with its fix, exit 1, nothing built', async () => {
    const dir = join(work, 'bad-engine');
    const shimDir = join(work, 'podman-shim');
    mkdirSync(shimDir, { recursive: true });
    const realPodman = (await execa('sh', ['-c', 'command -v podman'])).stdout.trim();
    writeFileSync(
      join(shimDir, 'podman'),
      '#!/bin/sh\n' +
        'case "$1" in\n' +
        '  compose) echo "podman-compose version: 1.3.0"; echo "podman version 5.4.2"; exit 0 ;;\n' +
        '  --url) echo "Cannot connect to Podman. Please verify your connection" >&2; exit 125 ;;\n' +
        'esac\n' +
        `exec ${realPodman} "$@"\n`,
      { mode: 0o755 },
    );
    const r = await cli(['smoke', dir, '--json', '--engine', 'podman'], { PATH: `${shimDir}:${process.env.PATH ?? ''}` }, 2 * MINUTE);
    const result = JSON.parse(String(r.stdout)) as SmokeResult;
    expect(r.exitCode).toBe(1);
    expect(result.steps.map((s) => s.name)).toEqual(PODMAN_STEPS);
    expect(step(result, 'podman').ok).toBe(true);
    expect(step(result, 'podman API socket').ok).toBe(false);
    expect(step(result, 'podman API socket').detail).toMatch(/Fix: sudo systemctl enable --now podman\.socket; without systemd: podman system service/);
    expect(step(result, 'compose provider').ok).toBe(false);
    expect(step(result, 'compose provider').detail).toMatch(/podman-compose 1\.3\.0, which create-pyimage does not support.*Fix: install Compose v2/);
    expect(step(result, 'buildah features').ok).toBe(true);
    expect(result.imageId).toBe('');
  }, 3 * MINUTE);

  it('FastAPI + uvicorn builds with Podman, turns healthy, answers, runs as non-root, leaves nothing', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'fastapi');
    await generate(dir, 'e2e-pm-fastapi', ['--framework', 'fastapi']);
    const { result, exitCode, stderr } = await smoke('FastAPI (examples/fastapi-hello)', 'podman', dir, false);
    expectPassed(result, exitCode, stderr);
    // The engine's own checks, then the same stack steps as on Docker (the list grows with smoke).
    const names = result.steps.map((s) => s.name);
    expect(names.slice(0, 4)).toEqual(PODMAN_STEPS);
    expect(names.filter((n) => ['build images', 'start stack (up --wait)', 'every service healthy', 'health probe', 'app runs as non-root'].includes(n))).toHaveLength(5);
    expect(names.at(-1)).toBe('teardown');
    expect(step(result, 'start stack (up --wait)').detail).toMatch(/healthcheck run by smoke with podman healthcheck run/);
    expect(step(result, 'every service healthy').detail).toBe('app running (healthy)');
    expect(step(result, 'health probe').detail).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/health -> 200 \{"status":"ok"\}/);
    // HEALTHCHECK survived the Podman build (docker format), so the probe the engine runs is the image's.
    const hc = await podmanLines(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', result.tag]);
    expect(hc.join('')).toContain('urlopen');
    await expectNothingLeftOnPodman(result.project);
  }, 20 * MINUTE);

  it('one answer set, both engines: Flask + Postgres + worker + migration smoked unchanged on Docker, then Podman', async () => {
    const dir = fromFixture('test/fixtures/e2e-flask-postgres', 'flask-postgres');
    await generate(dir, 'e2e-pm-flask-pg', FLASK_PG_FLAGS(e2e.postgresVersion));
    const before = snapshot(dir);

    const onDocker = await smoke('Flask + Postgres + worker + migration', 'docker', dir, true);
    expectPassed(onDocker.result, onDocker.exitCode, onDocker.stderr);
    expect(onDocker.result.steps[0]!.name).toBe('docker daemon reachable');
    expect(await leftoversOf(onDocker.result.project)).toEqual([]);

    const onPodman = await smoke('Flask + Postgres + worker + migration', 'podman', dir, true);
    const { result, exitCode, stderr } = onPodman;
    expectPassed(result, exitCode, stderr);
    expect(result.steps.slice(0, 4).map((s) => s.name)).toEqual(PODMAN_STEPS);
    expect(step(result, 'every service healthy').detail).toMatch(/app running \(healthy\).*db running \(healthy\).*worker running \(healthy\)/);
    expect(step(result, 'migration exited 0').detail).toMatch(/Running upgrade\s+-> 0001/);
    expect(step(result, 'database answers').detail).toMatch(/select 1 -> 1/);
    // /health answers 200 only after reading the row the migration inserted.
    expect(step(result, 'health probe').detail).toContain('hello from the alembic migration');
    await expectNothingLeftOnPodman(result.project);

    // The same files: the only addition is the password file the first run created (0444 in a 0700 dir).
    const after = snapshot(dir);
    expect(Object.keys(after).filter((f) => !(f in before))).toEqual(['secrets/db_password']);
    for (const [file, text] of Object.entries(before)) expect(after[file], file).toBe(text);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'secrets', 'db_password')).mode & 0o777).toBe(0o444);
  }, 30 * MINUTE);

  it('scripts/up.sh with CONTAINER_ENGINE=podman runs the probes itself, then down.sh --volumes leaves nothing', async () => {
    const dir = join(work, 'flask-postgres');
    const env = {
      ...cleanEnv,
      CONTAINER_ENGINE: 'podman',
      APP_PORT: '0',
      PYTHON_IMAGE: podman.pythonImage,
      POSTGRES_IMAGE: podman.postgresImage,
      PIP_INDEX_URL: e2e.indexUrl,
      BUILD_NETWORK: 'host',
    };
    const started = performance.now();
    const up = await execa('bash', [join(dir, 'scripts', 'up.sh'), '--timeout', '180'], { cwd: dir, env, reject: false, stdin: 'ignore', timeout: 15 * MINUTE });
    report.push({ case: 'Flask + Postgres via scripts/up.sh', engine: 'podman', seconds: Math.round((performance.now() - started) / 100) / 10, success: up.exitCode === 0 });
    try {
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stderr).toContain('every healthcheck passed (run by this script: no systemd here)');
      const url = /up: (http:\/\/\S+)/.exec(up.stderr)?.[1];
      expect(url, up.stderr).toBeDefined();
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('hello from the alembic migration');
      const states = await podmanLines(['ps', '--filter', 'label=com.docker.compose.project=e2e-pm-flask-pg', '--format', '{{.Names}} {{.Status}}']);
      expect(states.filter((l) => /(app|db|worker)-1 /.test(l) && l.includes('(healthy)')), states.join('\n')).toHaveLength(3);
    } finally {
      const down = await execa('bash', [join(dir, 'scripts', 'down.sh'), '--volumes', '--yes'], { cwd: dir, env, reject: false, stdin: 'ignore', timeout: 5 * MINUTE });
      expect(down.exitCode, down.stderr).toBe(0);
    }
    expect(await leftoversOf('e2e-pm-flask-pg', false, 'podman')).toEqual([]);
  }, 20 * MINUTE);
});
