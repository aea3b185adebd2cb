/**
 * The real engine for end-to-end tests: use it when it is there, run test/e2e/infra/setup.sh when it
 * is not, and fail (never skip) when it still is not. Also small docker helpers the tests assert with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import type { SmokeResult, SmokeStep } from '../../generators/engine/smoke.js';
import { cliPath, repoRoot } from '../helpers.js';

export interface E2EEnv {
  pythonImage: string;
  pythonVersion: string;
  postgresImage: string;
  postgresVersion: string;
  /** Stand-in for redis:7-bookworm (uid/gid 999, /data, the official entrypoint). */
  redisImage: string;
  /** Stand-in for caddy:2 (Debian's caddy 2.6.2, XDG dirs /config and /data, the same CMD). */
  caddyImage: string;
  /** Stand-in for the official mariadb image (Debian's mariadb-server 10.11, uid/gid 999, /var/lib/mysql). */
  mariadbImage: string;
  indexUrl: string;
}

const cacheDir = process.env.PYIMAGE_E2E_CACHE_DIR ?? '/var/cache/create-pyimage';
export const envFile = join(cacheDir, 'e2e.env');
const setupScript = join(repoRoot, 'test', 'e2e', 'infra', 'setup.sh');

export function readEnvFile(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/**
 * The facts setup.sh wrote to e2e.env (a PYIMAGE_E2E_* environment variable overrides its line);
 * throws, naming the key and the fix, when one is missing. Reads only: see ensureEngine.
 */
export function readE2EEnv(): E2EEnv {
  const fromFile = existsSync(envFile) ? readEnvFile() : {};
  const get = (key: string): string => {
    const value = process.env[key] || fromFile[key];
    if (!value) throw new Error(`${key} is not set and not in ${envFile}: run bash test/e2e/infra/setup.sh first (as root)`);
    return value;
  };
  return {
    pythonImage: get('PYIMAGE_E2E_PYTHON_IMAGE'),
    pythonVersion: get('PYIMAGE_E2E_PYTHON_VERSION'),
    postgresImage: get('PYIMAGE_E2E_POSTGRES_IMAGE'),
    postgresVersion: get('PYIMAGE_E2E_POSTGRES_VERSION'),
    redisImage: get('PYIMAGE_E2E_REDIS_IMAGE'),
    caddyImage: get('PYIMAGE_E2E_CADDY_IMAGE'),
    mariadbImage: get('PYIMAGE_E2E_MARIADB_IMAGE'),
    indexUrl: get('PYIMAGE_E2E_INDEX_URL'),
  };
}

async function engineAnswers(): Promise<boolean> {
  const r = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: 20_000 });
  return r.exitCode === 0;
}

async function indexAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return res.ok;
  } catch {
    return false;
  }
}

const imageKeys = ['PYIMAGE_E2E_PYTHON_IMAGE', 'PYIMAGE_E2E_POSTGRES_IMAGE', 'PYIMAGE_E2E_REDIS_IMAGE', 'PYIMAGE_E2E_MARIADB_IMAGE', 'PYIMAGE_E2E_CADDY_IMAGE'];

async function imagesPresent(env: Record<string, string>): Promise<boolean> {
  const images = imageKeys.map((key) => env[key]).filter(Boolean) as string[];
  if (images.length < imageKeys.length) return false;
  const r = await execa('docker', ['image', 'inspect', ...images], { reject: false, timeout: 20_000 });
  return r.exitCode === 0;
}

async function ready(): Promise<string | undefined> {
  if (!(await engineAnswers())) return 'the Docker engine does not answer (docker info)';
  if (!existsSync(envFile)) return `${envFile} is missing`;
  const env = readEnvFile();
  if (!(await imagesPresent(env))) return 'the stand-in base images are missing';
  if (!env.PYIMAGE_E2E_INDEX_URL || !(await indexAnswers(env.PYIMAGE_E2E_INDEX_URL))) {
    return `the offline package index does not answer (${env.PYIMAGE_E2E_INDEX_URL ?? 'no URL'})`;
  }
  return undefined;
}

/** Ensures engine, stand-in images and index; throws (the tests fail) when that is impossible. */
export async function ensureEngine(): Promise<E2EEnv> {
  let missing = await ready();
  if (missing) {
    process.stderr.write(`[e2e] ${missing}: running ${setupScript}\n`);
    const setup = await execa('bash', [setupScript], {
      reject: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'inherit',
      timeout: 30 * 60_000,
    });
    missing = await ready();
    if (missing) {
      throw new Error(
        `end-to-end tests need a real Docker engine: ${missing} even after test/e2e/infra/setup.sh ` +
          `(exit ${setup.exitCode}). Run it as root: bash test/e2e/infra/setup.sh`,
      );
    }
  }
  return readE2EEnv();
}

async function lines(args: string[], binary = 'docker'): Promise<string[]> {
  const r = await execa(binary, args, { reject: false, timeout: 30_000 });
  return String(r.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Containers, networks and volumes whose compose project or name matches `project`
 * (exactly, or as a prefix when `prefix` is set), on Docker or (binary 'podman') on Podman.
 */
export async function leftoversOf(project: string, prefix = false, binary = 'docker'): Promise<string[]> {
  const matches = (value: string) => (prefix ? value.startsWith(project) : value === project || value.startsWith(`${project}_`) || value.startsWith(`${project}-`));
  // Podman's list templates have no .Label function: there, a label filter finds the project's own.
  const label = binary === 'docker' ? ' {{.Label "com.docker.compose.project"}}' : '';
  const labelled = binary === 'docker' ? [] : ['--filter', `label=com.docker.compose.project=${project}`];
  const both = async (args: string[]) => [...(await lines(args, binary)), ...(labelled.length ? (await lines([...args, ...labelled], binary)).map((name) => `${name} ${project}`) : [])];
  const [containers, networks, volumes] = await Promise.all([
    both(['ps', '--all', '--format', `{{.Names}}${label}`]),
    both(['network', 'ls', '--format', `{{.Name}}${label}`]),
    both(['volume', 'ls', '--format', `{{.Name}}${label}`]),
  ]);
  const left: string[] = [];
  for (const [kind, rows] of [
    ['container', containers],
    ['network', networks],
    ['volume', volumes],
  ] as const) {
    for (const row of rows) {
      const [name = '', projectLabel = ''] = row.split(' ');
      if (matches(name) || (projectLabel && matches(projectLabel))) left.push(`${kind} ${name}`);
    }
  }
  return left;
}

/** The image's config and every history line, to prove build-only values did not leak into it. */
export async function imageTrail(image: string): Promise<string> {
  const [inspect, history] = await Promise.all([
    execa('docker', ['image', 'inspect', image], { reject: false, timeout: 30_000 }),
    execa('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', image], { reject: false, timeout: 30_000 }),
  ]);
  return `${inspect.stdout}\n${history.stdout}`;
}

export async function removeImage(image: string): Promise<void> {
  await execa('docker', ['image', 'rm', '--force', image], { reject: false, timeout: 60_000 });
}

/** The named step of a smoke result (the test fails, listing the steps, when there is none). */
export function stepOf(result: SmokeResult, name: string): SmokeStep {
  const found = result.steps.find((s) => s.name === name);
  expect(found, `step "${name}" in ${JSON.stringify(result.steps.map((s) => s.name))}`).toBeDefined();
  return found!;
}

/** Every step passed, exit 0, an image was built, and the app ran as a non-root UID. */
export function expectSmokePassed(result: SmokeResult, exitCode: number | undefined, stderr: string): void {
  const failed = result.steps.filter((s) => !s.ok);
  expect(failed, `${result.message}\n${stderr}`).toEqual([]);
  expect(result.success).toBe(true);
  expect(exitCode).toBe(0);
  expect(result.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(result.size).toBeGreaterThan(10e6);
  expect(stepOf(result, 'app runs as non-root').detail).toMatch(/^UID [1-9]\d*$/);
}

/** The e2e tests run the compiled CLI: `npm test` builds first; a bare `vitest run` needs it too. */
export function requireBuiltCli(): void {
  if (!existsSync(cliPath) || !existsSync(join(repoRoot, 'dist', 'generators', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before the e2e tests');
  }
}
