// Small helpers for the benchmark: processes, timing, statistics, docker queries, formatting.
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

export { sleep };

export function log(message: string): void {
  const stamp = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${stamp}] ${message}\n`);
}

export function now(): number {
  return performance.now() / 1000;
}

export interface RunResult {
  exitCode: number;
  output: string;
  seconds: number;
}

/** Runs a command to completion and returns its combined output; throws with the output's tail on failure. */
export async function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; allowFailure?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  const started = now();
  const result = await execa(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    all: true,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
  });
  const seconds = now() - started;
  const output = typeof result.all === 'string' ? result.all : '';
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : 1;
  if (exitCode !== 0 && !options.allowFailure) {
    throw new Error(`${file} ${args.join(' ')} failed (exit ${exitCode}${result.timedOut ? ', timed out' : ''}):\n${tail(output, 40)}`);
  }
  return { exitCode, output, seconds };
}

export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One GET with a short timeout; true on HTTP 200. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Parses docker's human sizes ("45.3MiB", "1.2GB", "512B"). */
export function parseDockerSize(text: string): number {
  const match = /^\s*([\d.]+)\s*([KMGT]?i?B)\s*$/i.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  const unit = (match[2] ?? 'B').toUpperCase();
  const factors: Record<string, number> = {
    B: 1,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12,
    KIB: 1024,
    MIB: 1024 ** 2,
    GIB: 1024 ** 3,
    TIB: 1024 ** 4,
  };
  return value * (factors[unit] ?? Number.NaN);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds >= 100) return `${seconds.toFixed(0)} s`;
  if (seconds >= 10) return `${seconds.toFixed(1)} s`;
  return `${seconds.toFixed(2)} s`;
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  return ratio >= 10 ? `${ratio.toFixed(1)}×` : `${ratio.toFixed(2)}×`;
}

export function formatMinutes(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes < 1 ? '< 1 min' : `~${minutes} min`;
}

export async function imageSize(ref: string): Promise<number> {
  const { output } = await run('docker', ['image', 'inspect', '-f', '{{.Size}}', ref]);
  return Number(output.trim());
}

export async function imageId(ref: string): Promise<string | undefined> {
  const result = await run('docker', ['image', 'inspect', '-f', '{{.Id}}', ref], { allowFailure: true });
  return result.exitCode === 0 ? result.output.trim() : undefined;
}

export interface BuildStep {
  /** `[stage n/m] INSTRUCTION ...` as BuildKit prints it. */
  name: string;
  cached: boolean;
  /** From the step's `DONE x.ys` line; null when cached or not reported. */
  seconds: number | null;
}

/** Steps of a BuildKit `--progress=plain` log (internal steps and base image resolution left out). */
export function buildSteps(output: string): BuildStep[] {
  const names = new Map<string, string>();
  const cachedIds = new Set<string>();
  const done = new Map<string, number>();
  for (const line of output.split('\n')) {
    const named = /^#(\d+) (\[[^\]]+\] .*)$/.exec(line);
    if (named && named[1] && named[2] && !names.has(named[1])) names.set(named[1], named[2].replace(/\s+/g, ' ').trim());
    const cached = /^#(\d+) CACHED\s*$/.exec(line);
    if (cached && cached[1]) cachedIds.add(cached[1]);
    const finished = /^#(\d+) DONE ([\d.]+)s\s*$/.exec(line);
    if (finished && finished[1] && finished[2]) done.set(finished[1], Number(finished[2]));
  }
  const steps: BuildStep[] = [];
  for (const [id, name] of names) {
    if (/^\[internal\]/.test(name) || /\] FROM /.test(name)) continue;
    const cached = cachedIds.has(id);
    steps.push({ name, cached, seconds: cached ? null : (done.get(id) ?? null) });
  }
  return steps;
}
