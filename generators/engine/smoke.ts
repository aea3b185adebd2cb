/**
 * `create-pyimage smoke`: prove a generated stack for real. Checks the engine, builds with BuildKit,
 * starts everything under a project name of its own on a random loopback port, checks each promise
 * the stack makes (health, non-root, migration, worker, database), and always tears down again.
 *
 * The steps are data (`StepSpec`); listr2 only displays them. The result is the JSON contract
 * `{imageId, tag, size, success, message, steps: [{name, ok, seconds, detail}]}`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Listr, ListrLogger, ProcessOutput, type ListrRendererValue } from 'listr2';
import type { Answers } from '../answers/types.js';
import { gpuServiceList } from '../answers/schema.js';
import { APP_UID, buildView, dependencyFiles, START_INTERVAL, withoutStartInterval } from '../render/view.js';
import { composeObject, startIntervalServices } from '../render/compose.js';
import { REDIS_SECRET, stackSecrets } from '../render/app-env.js';
import { completeStoredAnswers } from '../answers/resolve.js';
import { AnswerError } from '../answers/errors.js';
import { EXIT_USAGE, UserError } from '../errors.js';
import { packageVersion } from '../paths.js';
import { readManifest } from '../write/manifest.js';
import { checkDeployArgv, readCheckOutput, withProxy } from './django-check.js';
import {
  checkEngine,
  compose,
  composePs,
  run,
  imageMetadata,
  inspectImage,
  leftovers,
  engineApiBefore,
  type ComposeProject,
  type ContainerState,
  type EngineCheck,
  type RunResult,
} from './docker.js';
import { checkRenderAccess, type ServiceExec } from './gpu-check.js';
import { CHECK_NAMES, chooseEngine, engineFacts, gpuGroup, type Engine, type EngineName } from './engines.js';
import { upDrivingHealth } from './health.js';

export interface SmokeOptions {
  /** docker or podman; by default CONTAINER_ENGINE, else the only one installed, else docker. */
  engine?: EngineName;
  /** PYTHON_IMAGE: a mirrored or stand-in base image. */
  baseImage?: string;
  /** POSTGRES_IMAGE: a mirrored or stand-in database image. */
  postgresImage?: string;
  /** REDIS_IMAGE: a mirrored or stand-in Redis image. */
  redisImage?: string;
  /** PIP_INDEX_URL build argument (builder stage only). */
  pipIndexUrl?: string;
  /** PIP_FIND_LINKS build argument (builder stage only). */
  pipFindLinks?: string;
  /** BUILD_NETWORK: "host" reaches an index on this machine's loopback. */
  buildNetwork?: string;
  /** Seconds `up --wait` may take to get every service healthy. */
  timeout?: number;
  /** Seconds the build may take. */
  buildTimeout?: number;
  /** 'default' (a terminal), 'simple' (logs, CI), 'silent' (--json). Progress goes to stderr. */
  renderer?: 'default' | 'simple' | 'silent';
  /** Aborting (Ctrl-C) stops the running step; teardown still runs. */
  signal?: AbortSignal;
  /** Where failure tails and notices are written (stderr by default). */
  report?: (text: string) => void;
}

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

// ---------------------------------------------------------------------------------------------
// The project on disk
// ---------------------------------------------------------------------------------------------

const COMPOSE_FILE = 'docker-compose.yml';
const GPU_COMPOSE_FILE = 'docker-compose.gpu.yml';

/** The answers a stack was generated from; a directory without a generated stack is bad input (exit 2). */
export async function readStackAnswers(dir: string): Promise<Answers> {
  if (!existsSync(join(dir, COMPOSE_FILE))) {
    throw new UserError(`${dir} has no ${COMPOSE_FILE}: run create-pyimage first`, EXIT_USAGE);
  }
  try {
    // Stored by this or an older version: answers it did not know yet take their defaults.
    return await completeStoredAnswers(readManifest(dir, packageVersion()).answers);
  } catch (error) {
    if (error instanceof AnswerError) throw new UserError(`.create-pyimage.json: ${error.message}`, EXIT_USAGE);
    throw error;
  }
}

/**
 * The secret files the stack reads, created the way scripts/up.sh does: random, 0444 in a 0700 dir.
 * A file that exists is kept. Returns the names it created.
 */
export function ensureSecrets(dir: string, names: string[]): string[] {
  const secrets = join(dir, 'secrets');
  const created: string[] = [];
  for (const name of names) {
    const file = join(secrets, name);
    if (existsSync(file) && readFileSync(file).length > 0) continue;
    const previous = process.umask(0o077);
    try {
      mkdirSync(secrets, { recursive: true, mode: 0o700 });
      // 48 bytes as scripts/lib.sh makes them: long enough for a Django SECRET_KEY (50+, W009).
      const value = randomBytes(48).toString('base64').replace(/[/+=\n]/g, '');
      writeFileSync(`${file}.tmp`, value, { mode: 0o444 });
      chmodSync(`${file}.tmp`, 0o444);
      renameSync(`${file}.tmp`, file);
    } finally {
      process.umask(previous);
    }
    chmodSync(secrets, 0o700);
    created.push(name);
  }
  return created;
}

/** The numeric GID of the host's render group, from /etc/group. */
function renderGid(): string | undefined {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('render:'));
    return line?.split(':')[2] || undefined;
  } catch {
    return undefined;
  }
}

interface GpuDecision {
  use: boolean;
  notice: string;
  env: Record<string, string>;
}

/** Whether docker-compose.gpu.yml can be added on this host; without the device it is skipped. */
export function gpuDecision(answers: Answers, dir: string, hasPath: (p: string) => boolean = existsSync): GpuDecision | undefined {
  if (answers.gpu === 'none' || !existsSync(join(dir, GPU_COMPOSE_FILE))) return undefined;
  if (answers.gpu === 'render') {
    if (!hasPath('/dev/dri')) {
      return {
        use: false,
        env: {},
        notice:
          `skipped: no /dev/dri on this host, so the base stack runs without GPU access (${GPU_COMPOSE_FILE} not used). ` +
          `Not proven: that ${gpuServiceList(answers).join(' and ')} can open /dev/dri/renderD* as UID ${APP_UID} through the render group`,
      };
    }
    const gid = process.env.RENDER_GID || renderGid();
    if (!gid) {
      return {
        use: false,
        env: {},
        notice: `skipped: /dev/dri exists but the host has no "render" group; set RENDER_GID to the GID owning /dev/dri/renderD128 to test ${GPU_COMPOSE_FILE}`,
      };
    }
    return { use: true, env: { RENDER_GID: gid }, notice: `using ${GPU_COMPOSE_FILE}: /dev/dri with render group ${gid}` };
  }
  const nvidia = ['/dev/nvidiactl', '/dev/nvidia0'].some(hasPath);
  const who = gpuServiceList(answers).join(' and ');
  return nvidia
    ? {
        use: true,
        env: {},
        notice: `using ${GPU_COMPOSE_FILE}: NVIDIA device reservation for ${who}. Not checked: that UID ${APP_UID} can use the GPU inside the container (smoke opens render nodes only)`,
      }
    : {
        use: false,
        env: {},
        notice:
          `skipped: no NVIDIA device on this host (/dev/nvidiactl, /dev/nvidia0), so the base stack runs without GPU access (${GPU_COMPOSE_FILE} not used). ` +
          `Not proven: that the NVIDIA Container Toolkit grants its reservation (driver nvidia, count all, capabilities [gpu]) to ${who}, ` +
          `and that UID ${APP_UID} can use the GPU there`,
      };
}

// ---------------------------------------------------------------------------------------------
// Steps as data
// ---------------------------------------------------------------------------------------------

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

function bytes(size: number): string {
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
async function unhealthyReport(ctx: Context, states: ContainerState[]): Promise<string> {
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

function describeStates(states: ContainerState[]): string {
  return states.map((c) => `${c.service} ${c.state}${c.health ? ` (${c.health})` : ''}`).join(', ');
}

async function findService(ctx: Context, service: string): Promise<ContainerState> {
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

/** Over TCP with the secret's password: the same path the app takes. */
export const DB_QUERY =
  'PGPASSWORD="$(cat /run/secrets/db_password)" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "select 1"';

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

const engineSteps = (engine: Engine): StepSpec[] => CHECK_NAMES[engine.name].map((name) => ({
  name,
  run: async (ctx) => {
    const check = (await (ctx.engine ??= checkEngine(engine))).find((c) => c.name === name)!;
    if (!check.ok) throw new StepFailure(check.detail);
    return check.detail;
  },
}));

export const STACK_STEPS: StepSpec[] = [
  {
    name: 'build images',
    run: async (ctx, progress) => {
      const missing = dependencyFiles(ctx.answers).filter((f) => !existsSync(join(ctx.dir, f)));
      if (missing.length > 0) {
        throw new StepFailure(
          `${missing.join(' and ')} missing in ${ctx.dir}: the Dockerfile installs the dependencies from ` +
            (ctx.answers.deps === 'requirements'
              ? `it. Add it (pinned versions, e.g. pip freeze > ${ctx.answers.requirementsFile}) or re-run create-pyimage with --requirements-file <path>.`
              : ctx.answers.deps === 'uv'
                ? 'them. Create the lock file with `uv lock`, or re-run create-pyimage with --deps pip-pyproject.'
                : 'it. Add pyproject.toml, or re-run create-pyimage with --deps requirements.'),
        );
      }
      const notes = ensureSecrets(ctx.dir, stackSecrets(ctx.answers)).map((name) => `created secrets/${name}`);
      const config = must(
        await compose(ctx.project, ['config', '--format', 'json'], { timeout: MINUTE, signal: ctx.signal }),
        'docker compose config',
      );
      const services = (JSON.parse(config.stdout) as { services?: Record<string, { image?: string }> }).services ?? {};
      ctx.tag = services.app?.image ?? `${ctx.answers.name}`;
      const build = await compose(ctx.project, ['--progress', 'plain', 'build'], {
        timeout: (ctx.options.buildTimeout ?? 1800) * 1000,
        signal: ctx.signal,
        env: ctx.project.engine.buildEnv,
        onLine: progress,
      });
      if (!build.ok) {
        const why = build.stopped ? 'interrupted' : `docker compose build failed (exit ${build.exitCode ?? '?'})`;
        throw new StepFailure(why, failedBuildLog(build.all));
      }
      const image = await inspectImage(ctx.project.engine, ctx.tag);
      if (!image) throw new StepFailure(`the build finished but image ${ctx.tag} is not there`);
      ctx.imageId = image.id;
      ctx.size = image.size;
      return [`${ctx.tag} ${image.id.slice(0, 19)}, ${bytes(image.size)}`, ...notes].join('; ');
    },
  },
  {
    name: 'pip index not in image',
    when: (ctx) => Boolean(ctx.project.env.PIP_INDEX_URL || ctx.project.env.PIP_FIND_LINKS),
    run: async (ctx) => {
      const metadata = await imageMetadata(ctx.project.engine, ctx.tag);
      const secrets = [ctx.project.env.PIP_INDEX_URL, ctx.project.env.PIP_FIND_LINKS].filter((v): v is string => Boolean(v));
      const found = secrets.filter((s) => metadata.includes(s));
      if (found.length > 0) {
        throw new StepFailure(`${found.join(', ')} appears in the image config or history of ${ctx.tag}: keep it in the builder stage`);
      }
      return `${secrets.length === 1 ? 'the index URL is' : 'the index URLs are'} in neither the config nor the history of ${ctx.tag}`;
    },
  },
  {
    name: 'gpu override',
    when: (ctx) => ctx.gpu !== undefined,
    run: async (ctx) => {
      const gpu = ctx.gpu!;
      if (gpu.use || ctx.answers.gpu !== 'nvidia') return { detail: gpu.notice, notice: !gpu.use };
      // Unusable here, but Compose can still read it: the one thing proven about the NVIDIA path.
      const merged = { ...ctx.project, files: [...ctx.project.files, GPU_COMPOSE_FILE] };
      const config = await compose(merged, ['config', '--quiet'], { timeout: MINUTE, signal: ctx.signal });
      if (!config.ok) throw new StepFailure(`docker compose refuses ${GPU_COMPOSE_FILE} on top of ${COMPOSE_FILE}`, lastLines(config.all, 10));
      return { detail: `${gpu.notice}. Proven only: docker compose config accepts it on top of ${COMPOSE_FILE}`, notice: true };
    },
  },
  {
    name: 'start stack (up --wait)',
    run: async (ctx) => {
      const seconds = ctx.options.timeout ?? 180;
      const drive = ctx.project.engine.drivesHealth;
      const up = drive
        ? await upDrivingHealth(ctx.project, seconds, ctx.signal)
        : await compose(ctx.project, ['up', '--detach', '--wait', '--wait-timeout', String(seconds)], {
            timeout: (seconds + 120) * 1000,
            signal: ctx.signal,
          });
      const waited = drive ? (await composePs(ctx.project)).filter((c) => c.health !== '' && c.health !== 'healthy') : [];
      if (up.ok && waited.length === 0) {
        return `every service up within ${seconds}s${drive ? ' (no systemd: each healthcheck run by smoke with podman healthcheck run)' : ''}`;
      }
      const states = await composePs(ctx.project);
      const report = await unhealthyReport(ctx, states);
      const why = up.stopped ? 'interrupted' : lastLines(up.stderr, 1) || `exit ${up.exitCode ?? '?'}`;
      throw new StepFailure(
        `the stack did not come up healthy (limit ${seconds}s): ${up.ok ? 'not healthy in time' : why}. Containers: ${describeStates(states) || 'none'}`,
        report || lastLines(up.all, 30),
      );
    },
  },
  {
    name: 'every service healthy',
    run: async (ctx) => {
      const states = (await composePs(ctx.project, ctx.signal)).filter((c) => c.service !== 'migrate');
      const bad = states.filter((c) => c.state !== 'running' || (c.health !== '' && c.health !== 'healthy'));
      if (states.length === 0) throw new StepFailure('no containers are running');
      if (bad.length > 0) {
        throw new StepFailure(`not healthy: ${describeStates(bad)}`, await unhealthyReport(ctx, bad));
      }
      return describeStates(states);
    },
  },
  {
    name: 'health probe',
    run: async (ctx) => {
      const port = must(
        await compose(ctx.project, ['port', 'app', String(ctx.answers.port)], { timeout: MINUTE, signal: ctx.signal }),
        'docker compose port',
      );
      const published = port.stdout.trim().split(':').pop() ?? '';
      if (!/^\d+$/.test(published)) throw new StepFailure(`app publishes no port for ${ctx.answers.port}: ${port.stdout}`);
      ctx.hostPort = published;
      const url = `http://127.0.0.1:${published}${ctx.answers.healthPath}`;
      const { status, body } = await probe(url, ctx.signal);
      return `GET ${url} -> ${status} ${body.replace(/\s+/g, ' ').trim().slice(0, 200)}`.trim();
    },
  },
  {
    name: 'app runs as non-root',
    run: async (ctx) => {
      // PID 1's real UID (docker-init with init: true, else the server): what the app really runs as.
      const r = must(
        await compose(ctx.project, ['exec', '-T', 'app', 'cat', '/proc/1/status'], { timeout: MINUTE, signal: ctx.signal }),
        'docker compose exec app',
      );
      return nonRootUid(r);
    },
  },
  {
    name: 'migration exited 0',
    when: (ctx) => ctx.answers.postgres && ctx.answers.migrations !== 'none',
    run: async (ctx) => {
      const c = await findService(ctx, 'migrate');
      const logs = await compose(ctx.project, ['logs', '--no-color', '--no-log-prefix', '--tail', '40', 'migrate'], {
        timeout: MINUTE,
      });
      if (c.state !== 'exited' || c.exitCode !== 0) {
        throw new StepFailure(`migrate is ${c.state} with exit code ${c.exitCode}`, lastLines(logs.all, 40));
      }
      const last = lastLines(logs.all, 1);
      return `migrate exited 0${last ? `: ${last}` : ''}`;
    },
  },
  {
    name: 'django check --deploy',
    when: (ctx) => ctx.answers.framework === 'django',
    run: async (ctx) => {
      const r = await compose(ctx.project, ['exec', '-T', 'app', ...checkDeployArgv(ctx.answers)], { timeout: MINUTE, signal: ctx.signal });
      if (!r.ok) throw new StepFailure(`manage.py check --deploy failed (exit ${r.exitCode ?? '?'})`, lastLines(r.all, 30));
      const report = readCheckOutput(r.all);
      return `manage.py check --deploy: ${(ctx.answers.proxy === 'caddy' ? withProxy(report) : report).summary}`;
    },
  },
  {
    name: 'worker running',
    when: (ctx) => ctx.answers.worker.trim() !== '',
    run: async (ctx) => {
      const c = await findService(ctx, 'worker');
      if (c.state !== 'running' || (c.health !== '' && c.health !== 'healthy')) {
        throw new StepFailure(`worker is ${c.state}${c.health ? ` (${c.health})` : ''}`, await unhealthyReport(ctx, [c]));
      }
      return `worker ${c.state}${c.health ? ` (${c.health})` : ''}`;
    },
  },
  {
    name: 'database answers',
    when: (ctx) => ctx.answers.postgres,
    run: async (ctx) => {
      const r = must(
        await compose(ctx.project, ['exec', '-T', 'db', 'sh', '-c', DB_QUERY], { timeout: MINUTE, signal: ctx.signal }),
        'select 1 on db',
      );
      if (r.stdout.trim() !== '1') throw new StepFailure(`select 1 answered ${JSON.stringify(r.stdout.trim())}`);
      return 'select 1 -> 1 (password from the secret, over TCP)';
    },
  },
  {
    name: 'redis answers with its password',
    when: (ctx) => ctx.answers.redis,
    run: async (ctx) => {
      // Without the password Redis must refuse; with it (from the secret, never an argument) PONG.
      const ping = `redis-cli -h 127.0.0.1 ping; REDISCLI_AUTH="$(cat /run/secrets/${REDIS_SECRET})" redis-cli -h 127.0.0.1 ping`;
      const r = must(await compose(ctx.project, ['exec', '-T', 'redis', 'sh', '-c', ping], { timeout: MINUTE, signal: ctx.signal }), 'redis-cli ping');
      const answers = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      const [anonymous = '', authenticated = ''] = [answers[0], answers[answers.length - 1]];
      if (!/NOAUTH/.test(anonymous)) throw new StepFailure(`Redis answered a PING without the password (${JSON.stringify(anonymous)}): requirepass is not in force`);
      if (authenticated !== 'PONG') throw new StepFailure(`an authenticated PING answered ${JSON.stringify(authenticated)}`, lastLines(r.all, 10));
      return 'PING without the password -> NOAUTH; with the secret -> PONG';
    },
  },
  {
    name: 'worker connected to redis',
    when: (ctx) => ctx.answers.redis && ctx.answers.worker.trim() !== '',
    run: async (ctx) => {
      const worker = await findService(ctx, 'worker');
      const ips = await containerIps(ctx.project.engine, worker.name);
      const list = `REDISCLI_AUTH="$(cat /run/secrets/${REDIS_SECRET})" redis-cli -h 127.0.0.1 client list`;
      // A worker connects once it has imported its app: give it a little time after "healthy".
      for (let attempt = 0; attempt < 30 && !ctx.signal.aborted; attempt++) {
        const r = must(await compose(ctx.project, ['exec', '-T', 'redis', 'sh', '-c', list], { timeout: MINUTE, signal: ctx.signal }), 'redis-cli client list');
        const clients = r.stdout.split('\n').filter((l) => ips.some((ip) => l.includes(` addr=${ip}:`)));
        if (clients.length > 0) return `${clients.length} connection${clients.length === 1 ? '' : 's'} from the worker (${ips.join(', ')})`;
        await new Promise((res) => setTimeout(res, 1_000));
      }
      throw new StepFailure(`no Redis client from the worker (${ips.join(', ') || 'no address'}) after 30 s: is its broker URL {redis.url}?`, await unhealthyReport(ctx, [{ ...worker, health: 'unhealthy' }]));
    },
  },
  {
    name: 'state directories writable',
    when: (ctx) => ctx.answers.stateDirs.length > 0,
    run: async (ctx) => {
      const check = 'import os, sys; bad = [d for d in sys.argv[1:] if not os.access(d, os.W_OK)]; print(*bad); sys.exit(1 if bad else 0)';
      const r = await compose(ctx.project, ['exec', '-T', 'app', 'python', '-c', check, ...ctx.answers.stateDirs], { timeout: MINUTE, signal: ctx.signal });
      if (!r.ok) throw new StepFailure(`not writable by the app user: ${r.stdout.trim() || lastLines(r.all, 5)}`);
      return `${ctx.answers.stateDirs.join(', ')} writable by the app (named volumes); the rest is read-only`;
    },
  },
  {
    name: 'gpu render node opens as the app user',
    when: (ctx) => ctx.gpu?.use === true && ctx.answers.gpu === 'render',
    run: async (ctx) => {
      const services = gpuServiceList(ctx.answers).filter((s) => s === 'app' || ctx.answers.worker.trim() !== '');
      const exec: ServiceExec = (service, argv) => compose(ctx.project, ['exec', '-T', service, ...argv], { timeout: MINUTE, signal: ctx.signal });
      const access = await checkRenderAccess(services, ctx.project.env.RENDER_GID ?? '', exec);
      if (!access.ok) throw new StepFailure(access.detail);
      return access.detail;
    },
  },
];

/** The container's addresses on its networks. */
async function containerIps(engine: Engine, name: string): Promise<string[]> {
  const r = await run(engine, ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', name], { timeout: MINUTE });
  return r.stdout.split(/\s+/).filter(Boolean);
}

/** down -v, then proof that nothing is left; removes stragglers by label if compose could not. */
async function teardown({ project }: Context): Promise<string> {
  const down = await compose(project, ['down', '--volumes', '--remove-orphans', '--timeout', '10'], {
    timeout: 3 * MINUTE,
    detached: true,
  });
  let left = await leftovers(project);
  if (left.length > 0) {
    for (const item of left) {
      const [kind, id] = item.split(' ') as [string, string];
      const args = kind === 'container' ? ['rm', '--force', '--volumes', id] : [kind, 'rm', id];
      await run(project.engine, args, { timeout: MINUTE, detached: true });
    }
    left = await leftovers(project);
  }
  if (left.length > 0) {
    throw new StepFailure(`still there after ${project.engine.binary} compose down: ${left.join(', ')}`, lastLines(down.all, 20));
  }
  return `no containers, networks or volumes left for ${project.name}`;
}

// ---------------------------------------------------------------------------------------------
// Running the steps
// ---------------------------------------------------------------------------------------------

interface Runner {
  steps: SmokeStep[];
  tails: { name: string; tail: string }[];
  renderer: ListrRendererValue;
  rendererOptions: Record<string, unknown>;
}

async function runPhase(runner: Runner, ctx: Context, specs: StepSpec[], stopOnFailure: boolean): Promise<boolean> {
  let allOk = true;
  const live = runner.renderer === 'default';
  const list = new Listr(
    specs
      .filter((spec) => !spec.when || spec.when(ctx))
      .map((spec) => ({
        title: spec.name,
        task: async (_: unknown, task: { title: string; output: string; skip: (m?: string) => void }) => {
          const started = performance.now();
          const seconds = () => Math.round((performance.now() - started) / 100) / 10;
          try {
            if (ctx.signal.aborted) throw new StepFailure('interrupted');
            const out = await spec.run(ctx, (line) => {
              if (live) task.output = line;
            });
            const outcome = typeof out === 'string' ? { detail: out } : out;
            runner.steps.push({ name: spec.name, ok: true, seconds: seconds(), detail: outcome.detail });
            if (outcome.notice) {
              task.title = `${spec.name} (${seconds()}s)`;
              task.skip(outcome.detail);
            } else {
              task.title = `${spec.name} (${seconds()}s): ${outcome.detail}`;
            }
          } catch (error) {
            allOk = false;
            const failure = error instanceof StepFailure ? error : new StepFailure((error as Error).message);
            const detail = failure.tail ? `${failure.message}\n${failure.tail}` : failure.message;
            runner.steps.push({ name: spec.name, ok: false, seconds: seconds(), detail });
            if (failure.tail) runner.tails.push({ name: spec.name, tail: failure.tail });
            task.title = `${spec.name} (${seconds()}s)`;
            throw new Error(failure.message);
          }
        },
      })),
    {
      exitOnError: stopOnFailure,
      registerSignalListeners: false,
      renderer: runner.renderer,
      fallbackRenderer: 'simple',
      rendererOptions: runner.rendererOptions,
      fallbackRendererOptions: runner.rendererOptions,
    } as ConstructorParameters<typeof Listr>[1],
  );
  try {
    await list.run();
  } catch {
    /* recorded in runner.steps */
  }
  return allOk;
}

function projectName(name: string): string {
  return `${name}-smoke-${randomBytes(3).toString('hex')}`;
}

/** What a smoke run does after the engine checks: its steps (stop at the first failure) and a teardown that always runs. */
export interface SmokePlan {
  steps: StepSpec[];
  teardown: (ctx: Context) => Promise<string>;
}

const COMPOSE_PLAN: SmokePlan = { steps: STACK_STEPS, teardown };

export async function smokeProject(dirArg: string, options: SmokeOptions = {}, plan: SmokePlan = COMPOSE_PLAN): Promise<SmokeResult> {
  const dir = dirArg;
  const answers = await readStackAnswers(dir);
  const report = options.report ?? ((text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`));
  const env: Record<string, string> = {
    // A random loopback port, so a stack the user already runs on APP_PORT is not touched.
    APP_PORT: '0',
    APP_BIND_IP: '127.0.0.1',
  };
  const overrides: [keyof SmokeOptions, string][] = [
    ['baseImage', 'PYTHON_IMAGE'],
    ['postgresImage', 'POSTGRES_IMAGE'],
    ['redisImage', 'REDIS_IMAGE'],
    ['pipIndexUrl', 'PIP_INDEX_URL'],
    ['pipFindLinks', 'PIP_FIND_LINKS'],
    ['buildNetwork', 'BUILD_NETWORK'],
  ];
  for (const [option, variable] of overrides) {
    const value = options[option] ?? process.env[variable];
    if (typeof value === 'string' && value !== '') env[variable] = value;
  }
  const engine = engineFacts(options.engine ?? chooseEngine(undefined));
  // start_interval needs Docker's API 1.44 (engine 25); Podman's Docker-compatible API is older.
  // There an override removes the key (see render/view.ts START_INTERVAL).
  const legacyHealth =
    engine.name === 'podman' || (await engineApiBefore(START_INTERVAL.minApi)) ? join(mkdtempSync(join(tmpdir(), 'pyimage-health-')), 'without-start-interval.yml') : undefined;
  if (legacyHealth) writeFileSync(legacyHealth, withoutStartInterval(startIntervalServices(composeObject(buildView(answers)))));
  const gpu = gpuDecision(answers, dir);
  if (gpu?.env.RENDER_GID) gpu.env.RENDER_GID = gpuGroup(engine, gpu.env.RENDER_GID);
  Object.assign(env, gpu?.env);
  const project: ComposeProject = {
    engine,
    dir,
    files: [COMPOSE_FILE, ...(gpu?.use ? [GPU_COMPOSE_FILE] : []), ...(legacyHealth ? [legacyHealth] : [])],
    name: projectName(answers.name),
    envFile: existsSync(join(dir, '.env')) ? undefined : join(dir, '.env.example'),
    env,
  };
  const signal = options.signal ?? new AbortController().signal;
  const ctx: Context = { dir, answers, project, options, signal, tag: '', imageId: '', size: 0, gpu };
  const renderer = options.renderer ?? 'simple';
  const stderrOnly = new ProcessOutput(process.stderr, process.stderr);
  const runner: Runner = {
    steps: [],
    tails: [],
    renderer,
    rendererOptions: { logger: new ListrLogger({ processOutput: stderrOnly }), collapseErrors: false },
  };

  const engineOk = await runPhase(runner, ctx, engineSteps(engine), false);
  if (engineOk) {
    try {
      await runPhase(runner, ctx, plan.steps, true);
    } finally {
      const quiet = { ...ctx, signal: new AbortController().signal };
      await runPhase(runner, quiet, [{ name: 'teardown', run: () => plan.teardown(quiet) }], false);
    }
  }
  if (legacyHealth) rmSync(join(legacyHealth, '..'), { recursive: true, force: true });

  const success = runner.steps.every((s) => s.ok);
  const failed = runner.steps.find((s) => !s.ok);
  // The relevant tail of what failed (a person reads stderr even with --json); not after Ctrl-C.
  if (!signal.aborted) {
    for (const { name, tail } of runner.tails) report(`\n--- ${name}: relevant output ---\n${tail}\n`);
  }
  const total = runner.steps.reduce((sum, s) => sum + s.seconds, 0);
  const message = success
    ? `smoke test passed: ${ctx.tag} built, started and answered ${answers.healthPath} in ${Math.round(total)}s; nothing left running`
    : signal.aborted
      ? `interrupted during "${failed?.name ?? 'start'}"; torn down`
      : `"${failed?.name}" failed: ${(failed?.detail ?? '').split('\n')[0]}`;
  return {
    imageId: ctx.imageId,
    tag: ctx.tag,
    size: ctx.size,
    success,
    message,
    project: project.name,
    steps: runner.steps,
  };
}
