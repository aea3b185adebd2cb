/**
 * The development loop on the real engine (issue 23), shared by the dev-loop e2e files: generate a
 * project, point its .env at the stand-ins, start scripts/dev.sh (or `create-pyimage dev`), then edit
 * files as a user would and watch what is served, what is rebuilt and what restarts.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa, type ResultPromise } from 'execa';
import { expect } from 'vitest';
import { cliPath } from '../helpers.js';
import { leftoversOf, removeImage, type E2EEnv } from './engine.js';
import { cleanEnv, freePort } from './harness.js';


export { freePort };

/** .env as scripts/up.sh would create it, with the stand-ins a mirror would give and a free host port. */
export async function standInEnv(e2e: E2EEnv, dir: string): Promise<{ port: number; env: Record<string, string> }> {
  const port = await freePort();
  copyFileSync(join(dir, '.env.example'), join(dir, '.env'));
  const extra = [
    `PYTHON_IMAGE=${e2e.pythonImage}`,
    `POSTGRES_IMAGE=${e2e.postgresImage}`,
    `PIP_INDEX_URL=${e2e.indexUrl}`,
    'BUILD_NETWORK=host',
    `APP_PORT=${port}`,
  ];
  writeFileSync(join(dir, '.env'), `${readFileSync(join(dir, '.env'), 'utf8')}\n${extra.join('\n')}\n`);
  // The harness clears the host's pip and image variables in the environment, which compose
  // prefers to .env: give them the same values there.
  return { port, env: { ...cleanEnv, ...Object.fromEntries(extra.map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string])) } };
}

export interface DevRun {
  project: string;
  port: number;
  process: ResultPromise;
  output: () => string;
}

/** Starts the loop: `scripts/dev.sh`, or `create-pyimage dev DIR` with `via: 'cli'`. */
export function startDev(dir: string, project: string, stack: { port: number; env: Record<string, string> }, via: 'script' | 'cli'): DevRun {
  const port = stack.port;
  const [command, args] = via === 'script' ? ['bash', [join(dir, 'scripts', 'dev.sh')]] : ['node', [cliPath, 'dev', dir]];
  const child = execa(command as string, args as string[], { cwd: dir, env: stack.env, reject: false, stdin: 'ignore', all: true, buffer: true, timeout: 15 * 60_000 });
  let text = '';
  child.all?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { project: `${project}-dev`, port, process: child, output: () => text };
}

export async function get(port: number, path: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until `check` holds; the milliseconds it took, or throws with what the loop printed. */
export async function until(run: DevRun, what: string, timeoutMs: number, check: () => Promise<boolean>, stepMs = 50): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    if (run.process.exitCode !== null && run.process.exitCode !== undefined) break;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms\n--- dev loop output (last 4000 characters):\n${run.output().slice(-4000)}`);
}

export async function imageId(image: string): Promise<string> {
  const r = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { reject: false });
  return r.stdout.trim();
}

async function compose(run: DevRun, args: string[]) {
  return execa('docker', ['compose', '-p', run.project, ...args], { reject: false, timeout: 60_000 });
}

/** When the service's container last started (changes when watch restarts it). */
export async function startedAt(run: DevRun, service: string): Promise<string> {
  const id = (await compose(run, ['ps', '-q', service])).stdout.trim();
  if (!id) return '';
  return (await execa('docker', ['inspect', '--format', '{{.State.StartedAt}}', id], { reject: false })).stdout.trim();
}

export async function execIn(run: DevRun, service: string, argv: string[]): Promise<{ exitCode: number | undefined; stdout: string }> {
  const r = await compose(run, ['exec', '-T', service, ...argv]);
  return { exitCode: r.exitCode, stdout: r.stdout.trim() };
}

/** `sed -i`: replace a marker in a project file, as an editor's save does. */
export function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

/** Edits the marker in `file` five times; each edit must be served within `limitMs`; returns the latencies. */
export async function editLatencies(run: DevRun, dir: string, file: string, path: string, limitMs = 5_000): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 1; n <= 5; n++) {
    edit(dir, file, `version-${n - 1}`, `version-${n}`);
    latencies.push(Math.round(await until(run, `edit ${n} of ${file} served`, limitMs, async () => (await get(run.port, path))?.includes(`version-${n}`) ?? false)));
  }
  return latencies;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Ends the loop as Ctrl-C would (SIGINT to the process), waits, and asserts no container or network is left. */
export async function stopDev(run: DevRun, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  run.process.kill(signal);
  const result = await run.process;
  expect(result.exitCode === 130 || result.exitCode === 143 || result.signal === signal, run.output().slice(-3000)).toBe(true);
  expect(run.output()).toContain('stopping the dev stack');
  // The dev database's volume stays for the next run (as with scripts/down.sh); nothing runs.
  const left = (await leftoversOf(run.project)).filter((l) => !l.startsWith('volume '));
  expect(left).toEqual([]);
}

/** Removes what a dev run leaves by design (its volumes) and its images. */
export async function cleanUp(dir: string, project: string, images: string[]): Promise<void> {
  await execa('docker', ['compose', '-p', project, '--project-directory', dir, 'down', '--volumes', '--remove-orphans'], { reject: false, timeout: 120_000 });
  for (const image of images) await removeImage(image);
}
