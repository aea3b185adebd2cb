/**
 * A Flask + gunicorn + Postgres + Redis + RQ worker stack (test/fixtures/e2e-lifecycle) started
 * with the generated scripts, and what the life-cycle tests do to it: write a row, read it back,
 * wait for health, time a recovery. Docker or Podman (the engine binary and CONTAINER_ENGINE).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { expect } from 'vitest';
import { cli, cleanEnv, fromFixture, MINUTE } from './harness.js';
import type { E2EEnv } from './engine.js';

export type Engine = 'docker' | 'podman';
export const LONG_RUNNING = ['app', 'worker', 'db', 'redis'];

export interface Stack {
  dir: string;
  name: string;
  engine: Engine;
  env: Record<string, string>;
}

export interface Images {
  python: string;
  postgres: string;
  redis: string;
}

/** Generates the fixture and writes a .env that points at this machine's stand-ins (a mirror, for a user). */
export async function generateStack(work: string, name: string, e2e: E2EEnv, engine: Engine, images: Images): Promise<Stack> {
  const dir = fromFixture(work, 'test/fixtures/e2e-lifecycle', name);
  const r = await cli([
    dir, '--yes', '--name', name, '--python', e2e.pythonVersion, '--framework', 'flask', '--app', 'app:app',
    '--postgres', '--postgres-version', e2e.postgresVersion, '--libpq', '--redis', '--worker', 'rq worker',
    '--env', 'REDIS_URL={redis.url}', '--env', 'RQ_REDIS_URL={redis.url}',
  ], { timeout: 2 * MINUTE });
  expect(r.exitCode, r.stderr).toBe(0);
  writeFileSync(join(dir, '.env'), [
    `PYTHON_IMAGE=${images.python}`, `POSTGRES_IMAGE=${images.postgres}`, `REDIS_IMAGE=${images.redis}`,
    `PIP_INDEX_URL=${e2e.indexUrl}`, 'BUILD_NETWORK=host', 'APP_BIND_IP=127.0.0.1', 'APP_PORT=0', 'WEB_CONCURRENCY=2',
    'APP_VERSION=0.1.0', '',
  ].join('\n'));
  // .env holds the settings: the host's own pip and image variables would override it, so they are dropped.
  const env: Record<string, string> = { CONTAINER_ENGINE: engine, PODMAN_IGNORE_CGROUPSV1_WARNING: '1', CI: 'true' };
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !(key in cleanEnv) && key !== 'CONTAINER_ENGINE') env[key] = value;
  }
  return { dir, name, engine, env };
}

export async function script(stack: Stack, name: string, args: string[] = [], timeout = 15 * MINUTE) {
  return execa('bash', [join(stack.dir, 'scripts', `${name}.sh`), ...args], { cwd: stack.dir, env: stack.env, extendEnv: false, reject: false, stdin: 'ignore', timeout });
}

/** `docker compose` / `podman compose` on the stack's file, as the scripts run it. */
export async function compose(stack: Stack, args: string[], timeout = 5 * MINUTE) {
  const base = ['compose', '-f', join(stack.dir, 'docker-compose.yml'), '--project-directory', stack.dir, '-p', stack.name];
  return execa(stack.engine, [...base, ...args], { env: stack.env, extendEnv: false, reject: false, stdin: 'ignore', timeout });
}

/** Container name -> status line ("Up 3 seconds (healthy)") of the stack's containers. */
export async function states(stack: Stack): Promise<Map<string, string>> {
  const r = await execa(stack.engine, ['ps', '--all', '--filter', `label=com.docker.compose.project=${stack.name}`, '--format', '{{.Names}}\t{{.Status}}'], { env: stack.env, reject: false, timeout: 30_000 });
  const out = new Map<string, string>();
  for (const line of String(r.stdout).split('\n').filter(Boolean)) {
    const [container = '', status = ''] = line.split('\t');
    const service = LONG_RUNNING.find((s) => container === `${stack.name}-${s}-1` || container === `${stack.name}_${s}_1`);
    if (service) out.set(service, status);
  }
  return out;
}

/** The app's published address right now (APP_PORT=0: a restarted container gets a new port). */
export async function appUrl(stack: Stack): Promise<string | undefined> {
  const r = await compose(stack, ['port', 'app', '8000'], 30_000);
  const port = /:(\d+)\s*$/.exec(String(r.stdout).trim().split('\n')[0] ?? '')?.[1];
  return port ? `http://127.0.0.1:${port}` : undefined;
}

export async function http(stack: Stack, path: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const base = await appUrl(stack);
  if (!base) return { status: 0, body: 'no published port' };
  try {
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
}

/** Podman without systemd runs no probes: the test drives them, as scripts/up.sh does. */
async function driveProbes(stack: Stack): Promise<void> {
  if (stack.engine !== 'podman') return;
  const ids = await execa('podman', ['ps', '-q', '--filter', `label=com.docker.compose.project=${stack.name}`], { env: stack.env, reject: false });
  await Promise.all(String(ids.stdout).split('\n').filter(Boolean).map((id) => execa('podman', ['healthcheck', 'run', id], { env: stack.env, reject: false, timeout: 20_000 })));
}

/**
 * Polls until `ok` holds, every 0.5 s, for at most `limitSeconds`; returns the seconds it took,
 * or throws naming what was last seen.
 */
export async function until(what: string, limitSeconds: number, ok: () => Promise<string | true>): Promise<number> {
  const started = performance.now();
  let last = '';
  while ((performance.now() - started) / 1000 < limitSeconds) {
    const r = await ok();
    if (r === true) return Math.round((performance.now() - started) / 100) / 10;
    last = r;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${what}: not within ${limitSeconds} s; last seen: ${last}`);
}

/** Every long-running service healthy and the app answering /health. */
export async function allHealthy(stack: Stack): Promise<string | true> {
  await driveProbes(stack);
  const now = await states(stack);
  const missing = LONG_RUNNING.filter((s) => !/\(healthy\)/.test(now.get(s) ?? ''));
  if (missing.length > 0) return `not healthy: ${missing.map((s) => `${s}=${now.get(s) ?? 'absent'}`).join(', ')}`;
  const res = await http(stack, '/health', {}, 3_000);
  return res.status === 200 ? true : `/health -> ${res.status} ${res.body.slice(0, 200)}`;
}

export async function addItem(stack: Stack, value: string): Promise<void> {
  const res = await http(stack, `/items?value=${encodeURIComponent(value)}`, { method: 'POST' });
  expect(res.status, res.body).toBe(200);
}

export async function items(stack: Stack): Promise<{ values: string[]; last: string | null }> {
  const res = await http(stack, '/items');
  expect(res.status, res.body).toBe(200);
  return JSON.parse(res.body) as { values: string[]; last: string | null };
}

/** When the container last started (changes when the engine restarts it). */
export async function startedAt(stack: Stack, service: string): Promise<string> {
  const r = await execa(stack.engine, ['inspect', '--format', '{{.State.StartedAt}}', `${stack.name}-${service}-1`], { env: stack.env, reject: false });
  return String(r.stdout).trim();
}

/** Host PID of the server (gunicorn's master): the child of the container's init. */
export async function serverPid(stack: Stack): Promise<number> {
  const r = await execa(stack.engine, ['inspect', '--format', '{{.State.Pid}}', `${stack.name}-app-1`], { env: stack.env, reject: false });
  const init = Number(String(r.stdout).trim());
  expect(init, r.stderr).toBeGreaterThan(0);
  const child = Number(readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(/\s+/)[0]);
  expect(child, `children of init ${init}`).toBeGreaterThan(0);
  return child;
}
