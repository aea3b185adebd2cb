/**
 * What the real-engine tests share: run the compiled CLI with the host's pip settings cleared,
 * generate into a copy of a fixture, point builds at the stand-ins, read the smoke JSON, and
 * assert the common promises (every step passed, non-root, nothing left).
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { expect } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';
import type { SmokeResult } from '../../generators/engine/smoke.js';
import { expectSmokePassed, leftoversOf, stepOf, type E2EEnv } from './engine.js';

export { stepOf as step };

export const MINUTE = 60_000;

/** A loopback port free right now (the engine binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The host's own pip settings must not leak into the builds (these machines set PIP_FIND_LINKS). */
export const cleanEnv: Record<string, string> = {
  CI: 'true',
  PIP_INDEX_URL: '',
  PIP_FIND_LINKS: '',
  PYTHON_IMAGE: '',
  POSTGRES_IMAGE: '',
  REDIS_IMAGE: '',
  MARIADB_IMAGE: '',
  BUILD_NETWORK: '',
  SERVER_PACKAGES: '',
};

export function workDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function fromFixture(work: string, source: string, name: string): string {
  const dir = join(work, name);
  cpSync(join(repoRoot, source), dir, { recursive: true });
  return dir;
}

export async function cli(args: string[], options: { timeout?: number; env?: Record<string, string> } = {}) {
  return execa('node', [cliPath, ...args], {
    cwd: repoRoot,
    env: { ...cleanEnv, ...options.env },
    reject: false,
    stdin: 'ignore',
    timeout: options.timeout ?? 20 * MINUTE,
  });
}

/** `create-pyimage DIR --yes --name NAME` with the stand-in's Python and the flags a user would type: exit 0, and what it said (detection's notes). */
export async function generateIn(e2e: E2EEnv, dir: string, name: string, flags: string[]): Promise<string> {
  const r = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, ...flags], { timeout: 2 * MINUTE });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return String(r.stderr);
}

/** Build and start overrides that point at this machine's stand-ins (registry mirrors for a real user). */
export function standIns(e2e: E2EEnv, services: { postgres?: boolean; redis?: boolean } = {}): string[] {
  return [
    '--base-image',
    e2e.pythonImage,
    ...(services.postgres ? ['--postgres-image', e2e.postgresImage] : []),
    ...(services.redis ? ['--redis-image', e2e.redisImage] : []),
    '--pip-index-url',
    e2e.indexUrl,
    '--build-network',
    'host',
  ];
}

export function parseResult(stdout: string, stderr: string): SmokeResult {
  try {
    return JSON.parse(stdout) as SmokeResult;
  } catch {
    throw new Error(`stdout is not one JSON object:\n${stdout}\n--- stderr:\n${stderr}`);
  }
}

export interface TimedSmoke {
  result: SmokeResult;
  exitCode: number | undefined;
  stderr: string;
  seconds: number;
}

export async function smokeJson(args: string[], env: Record<string, string> = {}): Promise<TimedSmoke> {
  const started = performance.now();
  const r = await cli(args, { env });
  const result = parseResult(String(r.stdout), String(r.stderr));
  return { result, exitCode: r.exitCode, stderr: String(r.stderr), seconds: Math.round((performance.now() - started) / 100) / 10 };
}

/** Every step passed, exit 0, a real image, non-root, and torn down. */
export function expectPassed({ result, exitCode, stderr }: TimedSmoke): void {
  expectSmokePassed(result, exitCode, stderr);
  expect(stepOf(result, 'teardown').ok).toBe(true);
}

export async function expectNothingLeft(project: string): Promise<void> {
  expect(project).toMatch(/-smoke-[0-9a-f]{6}$/);
  expect(await leftoversOf(project)).toEqual([]);
}
