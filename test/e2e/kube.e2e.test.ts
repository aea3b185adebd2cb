/**
 * `smoke --kube` on Podman 5: deploy/k8s rendered by `kubectl kustomize` and played with `podman
 * kube play` through the Podman-only overlay, for a FastAPI app and for Flask + Postgres + worker +
 * migration. The base a cluster gets is not changed (its files are compared before and after).
 * Set-up: test/e2e/infra/setup.sh (Podman, kubectl). Fails, never skips, when either is missing.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';
import type { SmokeResult } from '../../generators/engine/smoke.js';
import { ensureEngine, expectSmokePassed, readEnvFile, requireBuiltCli, stepOf, type E2EEnv } from './engine.js';

const MINUTE = 60_000;
const work = mkdtempSync(join(tmpdir(), 'pyimage-kube-'));
const cleanEnv = { CI: 'true', PIP_INDEX_URL: '', PIP_FIND_LINKS: '', PYTHON_IMAGE: '', POSTGRES_IMAGE: '', BUILD_NETWORK: '', CONTAINER_ENGINE: '', PODMAN_IGNORE_CGROUPSV1_WARNING: '1' };
const built: string[] = [];
let e2e: E2EEnv;
let images: { python: string; postgres: string };

async function cli(args: string[], timeout = 10 * MINUTE) {
  return execa('node', [cliPath, ...args], { cwd: repoRoot, env: cleanEnv, reject: false, stdin: 'ignore', timeout });
}

function k8sFiles(dir: string): Record<string, string> {
  const base = join(dir, 'deploy', 'k8s');
  return Object.fromEntries(readdirSync(base).map((f) => [f, readFileSync(join(base, f), 'utf8')]));
}

async function generateAndSmoke(source: string, name: string, flags: string[], postgres: boolean) {
  const dir = join(work, name);
  cpSync(join(repoRoot, source), dir, { recursive: true });
  const gen = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, ...flags], 2 * MINUTE);
  expect(gen.exitCode, gen.stderr).toBe(0);
  const before = k8sFiles(dir);
  const r = await cli(['smoke', dir, '--kube', '--json', '--base-image', images.python, ...(postgres ? ['--postgres-image', images.postgres] : []), '--pip-index-url', e2e.indexUrl, '--build-network', 'host']);
  const result = JSON.parse(String(r.stdout)) as SmokeResult;
  if (result.tag) built.push(result.tag);
  expect(k8sFiles(dir)).toEqual(before);
  return { result, exitCode: r.exitCode, stderr: String(r.stderr) };
}

/** Nothing named after the run in pods, containers, volumes, secrets or networks. */
async function leftovers(prefix: string): Promise<string[]> {
  const lists = await Promise.all(
    [['pod', 'ps'], ['ps', '-a'], ['volume', 'ls'], ['secret', 'ls'], ['network', 'ls']].map((args) =>
      execa('podman', [...args, '--format', args[0] === 'ps' ? '{{.Names}}' : '{{.Name}}'], { reject: false, env: cleanEnv }),
    ),
  );
  return lists.flatMap((l) => String(l.stdout).split('\n')).filter((n) => n.startsWith(prefix));
}

beforeAll(async () => {
  e2e = await ensureEngine();
  const env = readEnvFile();
  images = { python: env.PYIMAGE_E2E_PODMAN_PYTHON_IMAGE ?? '', postgres: env.PYIMAGE_E2E_PODMAN_POSTGRES_IMAGE ?? '' };
  if (!images.python || !images.postgres) throw new Error('e2e.env has no PYIMAGE_E2E_PODMAN_* images: run test/e2e/infra/setup.sh as root');
  const kubectl = await execa('kubectl', ['version', '--client'], { reject: false });
  if (kubectl.exitCode !== 0) throw new Error('kubectl is missing: run test/e2e/infra/setup.sh as root (Debian trixie kubernetes-client)');
  requireBuiltCli();
}, 10 * MINUTE);

afterAll(async () => {
  for (const tag of built) await execa('podman', ['image', 'rm', '--force', tag], { reject: false, env: cleanEnv, timeout: MINUTE });
  rmSync(work, { recursive: true, force: true });
}, 5 * MINUTE);

describe.sequential('smoke --kube on Podman 5', () => {
  it('FastAPI: rendered, played, healthy, answers, UID 10001 with a read-only root, nothing left', async () => {
    const { result, exitCode, stderr } = await generateAndSmoke('examples/fastapi-hello', 'e2e-kube-fastapi', ['--framework', 'fastapi'], false);
    expectSmokePassed(result, exitCode, stderr);
    expect(stepOf(result, 'render manifests (kubectl kustomize)').detail).toMatch(/not played \(Namespace, Service, PodDisruptionBudget, NetworkPolicy\)/);
    expect(stepOf(result, 'health probe').detail).toMatch(/-> 200/);
    expect(stepOf(result, 'pods run as UID 10001, read-only root').detail).toBe('app: UID 10001, writing to / fails (Read-only file system)');
    expect(await leftovers(result.project!)).toEqual([]);
  }, 8 * MINUTE);

  it('Flask + Postgres + worker + migration: the Job runs first, the app reaches db by its Service name, nothing left', async () => {
    const flags = ['--framework', 'flask', '--postgres', '--postgres-version', e2e.postgresVersion, '--libpq', '--worker', 'python -m app.worker', '--migrations', 'alembic'];
    const { result, exitCode, stderr } = await generateAndSmoke('test/fixtures/e2e-flask-postgres', 'e2e-kube-flask-pg', flags, true);
    expectSmokePassed(result, exitCode, stderr);
    const names = result.steps.map((s) => s.name);
    expect(names.indexOf('backing services ready')).toBeLessThan(names.indexOf('migration Job completed'));
    expect(names.indexOf('migration Job completed')).toBeLessThan(names.indexOf('app and worker ready'));
    expect(stepOf(result, 'app and worker ready').detail).toMatch(/-app-pod-app, .*-worker-pod-worker: running/);
    expect(stepOf(result, 'app reaches the database').detail).toMatch(/db:5432 \(10\.\d+\.\d+\.\d+\)/);
    expect(stepOf(result, 'health probe').detail).toMatch(/hello from the alembic migration/);
    expect(stepOf(result, 'pods run as UID 10001, read-only root').detail).toBe('app, worker: UID 10001, writing to / fails (Read-only file system)');
    expect(await leftovers(result.project!)).toEqual([]);
  }, 8 * MINUTE);
});
