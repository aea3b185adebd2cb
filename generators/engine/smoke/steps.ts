/**
 * The smoke test's steps as data: what a step is (`StepSpec`, run against a `Context`), how it fails
 * (`StepFailure`), and the helpers steps share (command results, logs, probes). Steps are values:
 * a runner or a service module refers to a step by its constant, never by its name.
 */
import { compose, composePs, run, type ComposeProject, type ContainerState, type EngineCheck, type RunResult } from '../docker.js';
import type { Engine } from '../engines.js';
import type { Answers } from '../../answers/types.js';
import type { SmokeOptions } from './options.js';

export interface SmokeStep {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

export interface SmokeResult {
  imageId: string;
  tag: string;
  size: number;
  success: boolean;
  message: string;
  project: string;
  steps: SmokeStep[];
}

/** Whether docker-compose.gpu.yml is used on this host (gpu.ts decides), and why. */
export interface GpuDecision {
  use: boolean;
  notice: string;
  env: Record<string, string>;
}

/** A failed step: `detail` goes into the JSON, `tail` (logs) is shown too. */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly tail = '',
  ) {
    super(message);
  }
}

export interface StepOutcome {
  detail: string;
  /** Shown as skipped in the progress display; still ok. */
  notice?: boolean;
}

export interface Context {
  dir: string;
  answers: Answers;
  project: ComposeProject;
  options: SmokeOptions;
  signal: AbortSignal;
  tag: string;
  imageId: string;
  size: number;
  hostPort?: string;
  gpu?: GpuDecision;
  engine?: Promise<EngineCheck[]>;
  /** Temporary directories a step made (an override file); removed after the teardown. */
  temp: string[];
}

export interface StepSpec {
  name: string;
  when?: (ctx: Context) => boolean;
  run: (ctx: Context, progress: (line: string) => void) => Promise<StepOutcome | string>;
}

export const MINUTE = 60_000;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\r/g;

/** The last n non-empty lines, without terminal control sequences (compose logs keeps some). */
export function lastLines(text: string, n: number): string {
  const lines = text
    .replace(ANSI, '')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}

export function bytes(size: number): string {
  return size >= 1e9 ? `${(size / 1e9).toFixed(2)} GB` : `${(size / 1e6).toFixed(1)} MB`;
}

/**
 * The log of the build step that failed, from BuildKit's plain progress: every line of the
 * failing step (`#12 ...`) and BuildKit's own summary after it. Falls back to the last lines.
 */
export function failedBuildLog(output: string, max = 60): string {
  const lines = output.split('\n');
  const errorLine = lines.find((l) => /^#\d+ ERROR\b/.test(l));
  if (!errorLine) return lastLines(output, max);
  const id = errorLine.split(' ')[0]!;
  const stepLines = lines.filter((l) => l.startsWith(`${id} `));
  // BuildKit then repeats the step's last lines in a ------ box; keep only what follows the box.
  let boxEnd = -1;
  lines.forEach((l, i) => {
    if (/^-{6}\s*$/.test(l)) boxEnd = i;
  });
  const summary = lines.slice(boxEnd + 1).filter((l) => l.trim() !== '' && !/^#\d+ /.test(l));
  return [...stepLines.slice(-max), ...summary.slice(0, 30)].join('\n');
}

export function must(r: RunResult, what: string): RunResult {
  if (r.stopped) throw new StepFailure(`${what}: interrupted`, lastLines(r.all, 20));
  if (!r.ok) throw new StepFailure(`${what} failed (exit ${r.exitCode ?? '?'})`, lastLines(r.all, 40));
  return r;
}

/** Logs and health output of the containers that are not where they should be. */
export async function unhealthyReport(ctx: Context, states: ContainerState[]): Promise<string> {
  const sections: string[] = [];
  for (const c of states) {
    const migrateDone = c.service === 'migrate' && c.state === 'exited' && c.exitCode === 0;
    const fine = c.state === 'running' && (c.health === '' || c.health === 'healthy');
    // 'created': never started because a dependency failed; its (empty) logs say nothing.
    if (migrateDone || fine || c.state === 'created') continue;
    const logs = await compose(ctx.project, ['logs', '--no-color', '--no-log-prefix', '--tail', '40', c.service], {
      timeout: MINUTE,
    });
    const health = await run(ctx.project.engine, ['inspect', '--format', '{{json .State.Health}}', c.name], { timeout: MINUTE });
    let healthText = '';
    try {
      const parsed = JSON.parse(health.stdout) as { Log?: { ExitCode: number; Output: string }[] } | null;
      healthText = (parsed?.Log ?? [])
        .slice(-3)
        .map((entry) => `  exit ${entry.ExitCode}: ${lastLines(entry.Output, 1) || '(no output)'}`)
        .join('\n');
    } catch {
      /* no healthcheck */
    }
    sections.push(
      `--- ${c.service} (${c.state}${c.health ? `, ${c.health}` : ''}, exit ${c.exitCode}) logs:\n${lastLines(logs.all, 40) || '(no output)'}` +
        (healthText ? `\n--- ${c.service} health checks:\n${lastLines(healthText, 12)}` : ''),
    );
  }
  return sections.join('\n');
}

export function describeStates(states: ContainerState[]): string {
  return states.map((c) => `${c.service} ${c.state}${c.health ? ` (${c.health})` : ''}`).join(', ');
}

export async function findService(ctx: Context, service: string): Promise<ContainerState> {
  const state = (await composePs(ctx.project, ctx.signal)).find((c) => c.service === service);
  if (!state) throw new StepFailure(`no ${service} container was created`);
  return state;
}

/** `/proc/1/status` of the app: PID 1's real UID (docker-init with init: true, else the server), which must not be 0. */
export function nonRootUid(status: RunResult): string {
  const uid = /^Uid:\s+(\d+)/m.exec(status.stdout)?.[1];
  if (uid === undefined) throw new StepFailure(`cannot read the app's UID: ${lastLines(status.all, 5)}`);
  if (uid === '0') throw new StepFailure('the app runs as root (UID 0): set USER to a numeric non-root UID');
  return `UID ${uid}`;
}

export async function probe(url: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
  let lastError = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    if (signal.aborted) throw new StepFailure('interrupted');
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
      const body = await res.text();
      if (res.status >= 200 && res.status < 300) return { status: res.status, body };
      lastError = `answered ${res.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new StepFailure(`GET ${url} ${lastError}, expected 2xx`);
}

/** The container's addresses on its networks. */
export async function containerIps(engine: Engine, name: string): Promise<string[]> {
  const r = await run(engine, ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', name], { timeout: MINUTE });
  return r.stdout.split(/\s+/).filter(Boolean);
}


/**
 * The steps one service module contributes, each run after the stack is up and healthy: for the
 * compose run and for the Swarm run. A step's `when` says whether the stack has that service.
 */
export interface ServiceSmoke {
  service: string;
  compose: StepSpec[];
  swarm: StepSpec[];
}

/** One check of a service module: named once, made the compose way and (where it differs) the Swarm way. */
export interface ServiceCheck {
  name: string;
  when: (ctx: Context) => boolean;
  compose: StepSpec['run'];
  swarm?: StepSpec['run'];
}

/** A service module's smoke steps from its checks, for both runners. */
export function serviceSmoke(service: string, checks: ServiceCheck[]): ServiceSmoke {
  const steps = (runner: 'compose' | 'swarm'): StepSpec[] =>
    checks.flatMap((c) => {
      const run = c[runner];
      return run ? [{ name: c.name, when: c.when, run }] : [];
    });
  return { service, compose: steps('compose'), swarm: steps('swarm') };
}
