/**
 * Healthchecks where the engine does not run them itself: Podman schedules them with systemd
 * timers, so on a host without systemd a container stays "starting" forever, `up --wait` never
 * returns, and `depends_on: service_healthy` never releases the app. Here each probe is run with
 * `podman healthcheck run` at the container's own interval: a container turns healthy only when
 * its real probe passed, never because we waited long enough.
 */
import { compose, run, type ComposeProject, type RunResult } from './docker.js';

interface Schedule {
  intervalMs: number;
  startPeriodMs: number;
  firstSeen: number;
  nextRun: number;
}

/** During the start period probes come sooner (like Docker's start_interval), at most every 2 s. */
const START_PROBE_MS = 2_000;

function parseHealthConfig(json: string): { intervalMs: number; startPeriodMs: number } {
  try {
    const hc = JSON.parse(json) as { Interval?: number; StartPeriod?: number } | null;
    // Go durations in nanoseconds; Docker's defaults when unset (30 s, no start period).
    return { intervalMs: (hc?.Interval || 30e9) / 1e6, startPeriodMs: (hc?.StartPeriod || 0) / 1e6 };
  } catch {
    return { intervalMs: 30_000, startPeriodMs: 0 };
  }
}

/** Names of the project's containers whose health is still "starting". */
async function starting(project: ComposeProject, signal?: AbortSignal): Promise<string[]> {
  const r = await run(
    project.engine,
    ['ps', '--filter', `label=${project.engine.projectLabel}=${project.name}`, '--filter', 'health=starting', '--format', '{{.Names}}'],
    { timeout: 30_000, signal },
  );
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

export interface DriveOptions {
  /** Stop once this says so and no container is starting any more. */
  done: () => boolean;
  /** Stop at once (e.g. compose up failed: nothing will turn healthy). */
  abandon?: () => boolean;
  deadline: number;
  signal?: AbortSignal;
}

/** Runs due probes until `done()` and nothing is starting, the deadline passes or the signal aborts. */
export async function driveHealth(project: ComposeProject, options: DriveOptions): Promise<void> {
  const schedules = new Map<string, Schedule>();
  while (Date.now() < options.deadline && !options.signal?.aborted && !options.abandon?.()) {
    const finished = options.done();
    const names = await starting(project, options.signal);
    if (finished && names.length === 0) return;
    for (const name of names) {
      let s = schedules.get(name);
      if (!s) {
        const r = await run(project.engine, ['inspect', '--format', '{{json .Config.Healthcheck}}', name], { timeout: 30_000 });
        const now = Date.now();
        s = { ...parseHealthConfig(r.stdout), firstSeen: now, nextRun: now };
        schedules.set(name, s);
      }
      const now = Date.now();
      if (now < s.nextRun) continue;
      // Exit 1 just means "not healthy yet"; the container's own state records each result.
      await run(project.engine, ['healthcheck', 'run', name], { timeout: 60_000, signal: options.signal });
      const inStart = now - s.firstSeen < s.startPeriodMs;
      s.nextRun = Date.now() + (inStart ? Math.min(s.intervalMs, START_PROBE_MS) : s.intervalMs);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * `compose up --detach` while the probes are driven, then until every probed container left
 * "starting". The caller reads the states afterwards (healthy, unhealthy or still starting).
 */
export async function upDrivingHealth(project: ComposeProject, seconds: number, signal: AbortSignal): Promise<RunResult> {
  const deadline = Date.now() + seconds * 1000;
  let finished: RunResult | undefined;
  const up = compose(project, ['up', '--detach'], { timeout: seconds * 1000, signal }).then((r) => (finished = r));
  const [result] = await Promise.all([
    up,
    driveHealth(project, { done: () => finished !== undefined, abandon: () => finished?.ok === false, deadline, signal }),
  ]);
  return result;
}
