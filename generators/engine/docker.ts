/**
 * The only module that runs the engine's CLI (`docker` or `podman`, facts in engines.ts). Thin execa
 * wrappers, the engine checks (each with the fix a user needs), and the compose project a smoke run
 * works on.
 */
import { execa, type Options as ExecaOptions } from 'execa';
import { atLeast, CHECK_NAMES, composeProvider, engineFacts, type Engine } from './engines.js';

export interface RunResult {
  ok: boolean;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they were written. */
  all: string;
  /** The process was stopped by the cancel signal (Ctrl-C) or its timeout. */
  stopped: boolean;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Milliseconds; the process is killed after it. */
  timeout?: number;
  signal?: AbortSignal;
  /** Called with each line of output while the command runs (progress display). */
  onLine?: (line: string) => void;
  /** Own process group: a Ctrl-C on the terminal does not reach it (teardown must finish). */
  detached?: boolean;
}

/** Runs `<engine> <args>`; never throws for a non-zero exit (the caller decides what failed). */
export async function run(engine: Engine, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const execaOptions: ExecaOptions = {
    reject: false,
    all: true,
    stdin: 'ignore',
    cwd: options.cwd,
    env: { ...engine.env, ...options.env },
    extendEnv: true,
    timeout: options.timeout,
    cancelSignal: options.signal,
    forceKillAfterDelay: 5_000,
    stripFinalNewline: true,
    detached: options.detached,
  };
  const child = execa(engine.binary, args, execaOptions);
  if (options.onLine && child.all) {
    let pending = '';
    child.all.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLine!(line);
    });
  }
  const result = await child;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    ok: result.exitCode === 0 && !result.failed,
    exitCode: result.exitCode,
    stdout: text(result.stdout),
    stderr: text(result.stderr),
    all: text(result.all),
    stopped: Boolean(result.isCanceled || result.timedOut || result.isTerminated),
  };
}

// ---------------------------------------------------------------------------------------------
// Engine checks: each piece is named, and a missing one says how to get it.
// ---------------------------------------------------------------------------------------------

export interface EngineCheck {
  name: string;
  ok: boolean;
  /** What was found, or what is missing and how to fix it. */
  detail: string;
}

const INSTALL_URL = 'https://docs.docker.com/engine/install/';

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim())?.trim() ?? '';
}

const DOCKER = engineFacts('docker');
/** Docker-only callers (build, Swarm): the docker CLI. */
export const docker = (args: string[], options: RunOptions = {}) => run(DOCKER, args, options);

/** Is the docker CLI installed at all? (Every other check needs it.) */
async function dockerCli(): Promise<EngineCheck> {
  const r = await docker(['version', '--format', '{{.Client.Version}}'], { timeout: 20_000 }).catch(() => undefined);
  // `docker version` exits 1 when the daemon is down but still prints the client version.
  if (r && (r.ok || /^\d/.test(r.stdout))) {
    return { name: 'docker CLI', ok: true, detail: `docker ${firstLine(r.stdout)}` };
  }
  return {
    name: 'docker CLI',
    ok: false,
    detail: `the docker command is not installed or not on PATH. Fix: install Docker Engine (${INSTALL_URL}) or Docker Desktop.`,
  };
}

async function daemon(): Promise<EngineCheck> {
  const r = await docker(['info', '--format', '{{.ServerVersion}}'], { timeout: 30_000 });
  const version = firstLine(r.stdout);
  if (r.ok && version && !/error/i.test(version)) {
    return { name: 'docker daemon reachable', ok: true, detail: `engine ${version}` };
  }
  const why = firstLine(r.stderr) || firstLine(r.stdout) || 'no answer';
  const permission = /permission denied/i.test(r.all);
  const fix = permission
    ? 'Fix: add your user to the docker group (sudo usermod -aG docker "$USER", then log in again) or use rootless Docker.'
    : 'Fix: start it (sudo systemctl start docker, or open Docker Desktop); check DOCKER_HOST and `docker context ls`.';
  return { name: 'docker daemon reachable', ok: false, detail: `the Docker daemon does not answer (${why}). ${fix}` };
}

async function composeV2(): Promise<EngineCheck> {
  const r = await docker(['compose', 'version', '--short'], { timeout: 20_000 });
  const version = firstLine(r.stdout).replace(/^v/, '');
  if (r.ok && /^2\./.test(version)) return { name: 'compose v2', ok: true, detail: `compose ${version}` };
  const found = r.ok ? `found compose ${version}` : '`docker compose` is not available';
  return {
    name: 'compose v2',
    ok: false,
    detail:
      `${found}; Compose v2 is needed (the legacy docker-compose v1 does not read these files). ` +
      'Fix: install the docker-compose-plugin package (Debian/Ubuntu: apt-get install docker-compose-plugin, ' +
      'or docker-compose from Debian trixie), see https://docs.docker.com/compose/install/linux/',
  };
}

async function buildx(): Promise<EngineCheck> {
  const r = await docker(['buildx', 'version'], { timeout: 20_000 });
  if (r.ok) return { name: 'buildx', ok: true, detail: firstLine(r.stdout) };
  return {
    name: 'buildx',
    ok: false,
    detail:
      'the buildx plugin is missing, and BuildKit builds (RUN --mount in the Dockerfile) need it. ' +
      'Fix: install docker-buildx-plugin (Debian: docker-buildx), see https://docs.docker.com/build/install-buildx/',
  };
}

/**
 * Docker CLI, daemon, Compose v2 and buildx, in that order. Without the CLI the others are
 * reported as not checked rather than as three confusing failures.
 */
async function checkDocker(): Promise<EngineCheck[]> {
  const cli = await dockerCli();
  if (!cli.ok) {
    return [
      { ...cli, name: 'docker daemon reachable' },
      { name: 'compose v2', ok: false, detail: 'not checked: the docker CLI is missing' },
      { name: 'buildx', ok: false, detail: 'not checked: the docker CLI is missing' },
    ];
  }
  return Promise.all([daemon(), composeV2(), buildx()]);
}

// Podman: the CLI, the Docker-compatible API socket Compose v2 talks to, Compose v2 as the
// provider of `podman compose`, and a buildah new enough for the generated Dockerfile.

const PODMAN_INSTALL = 'https://podman.io/docs/installation (Debian 13 / Ubuntu 24.04: apt-get install podman)';

async function podmanCli(podman: Engine): Promise<{ check: EngineCheck; version: string }> {
  const r = await run(podman, ['version', '--format', '{{.Version}}'], { timeout: 20_000 }).catch(() => undefined);
  const version = r?.ok ? firstLine(r.stdout) : '';
  if (!version) {
    return { version, check: { name: 'podman', ok: false, detail: `the podman command is not installed or not on PATH. Fix: install Podman 5 (${PODMAN_INSTALL}).` } };
  }
  if (!atLeast(version, 4, 7)) {
    return { version, check: { name: 'podman', ok: false, detail: `podman ${version} has no \`podman compose\`. Fix: upgrade to Podman 5 (${PODMAN_INSTALL}).` } };
  }
  return { version, check: { name: 'podman', ok: true, detail: `podman ${version}` } };
}

async function podmanSocket(podman: Engine): Promise<EngineCheck> {
  const info = await run(podman, ['info', '--format', '{{.Host.RemoteSocket.Path}} {{.Host.Security.Rootless}}'], { timeout: 30_000 });
  const [path = '', rootless = 'false'] = firstLine(info.stdout).split(' ');
  const url = path.includes('://') ? path : `unix://${path}`;
  const ping = path ? await run(podman, ['--url', url, 'version', '--format', '{{.Server.Version}}'], { timeout: 20_000 }) : undefined;
  if (ping?.ok) return { name: 'podman API socket', ok: true, detail: `${url} answers (podman ${firstLine(ping.stdout)})` };
  const fix =
    rootless === 'true'
      ? 'systemctl --user enable --now podman.socket'
      : 'sudo systemctl enable --now podman.socket';
  return {
    name: 'podman API socket',
    ok: false,
    detail:
      `the Podman API socket${path ? ` (${path})` : ''} does not answer, and Compose v2 talks to Podman through it. ` +
      `Fix: ${fix}; without systemd: podman system service --time=0 ${url || 'unix:///run/podman/podman.sock'} &`,
  };
}

async function podmanCompose(podman: Engine): Promise<EngineCheck> {
  const r = await run(podman, ['compose', 'version'], { timeout: 20_000 });
  const provider = composeProvider(r.all);
  const install =
    'install Compose v2 (Debian: apt-get install docker-compose from trixie; or the docker-compose-plugin package) ' +
    'and, if podman does not find it, point PODMAN_COMPOSE_PROVIDER or compose_providers in containers.conf at it';
  if (r.ok && provider.kind === 'compose-v2') return { name: 'compose provider', ok: true, detail: `podman compose runs Docker Compose ${provider.version}` };
  if (provider.kind === 'podman-compose') {
    return {
      name: 'compose provider',
      ok: false,
      detail: `podman compose runs podman-compose ${provider.version}, which create-pyimage does not support (no up --wait, no JSON ps). Fix: ${install}.`,
    };
  }
  return { name: 'compose provider', ok: false, detail: `\`podman compose\` found no Compose v2 provider (${firstLine(r.all) || 'no answer'}). Fix: ${install}.` };
}

async function buildah(podman: Engine): Promise<EngineCheck> {
  const r = await run(podman, ['info', '--format', '{{.Host.BuildahVersion}}'], { timeout: 30_000 });
  const version = firstLine(r.stdout);
  // RUN --mount=type=cache,bind arrived in buildah 1.24; podman builds behind Compose's classic
  // build endpoint keep HEALTHCHECK (docker format).
  if (r.ok && atLeast(version, 1, 24)) {
    return { name: 'buildah features', ok: true, detail: `buildah ${version}: RUN --mount=type=cache/bind, HEALTHCHECK kept (docker format)` };
  }
  return {
    name: 'buildah features',
    ok: false,
    detail: `podman's buildah is ${version || 'unknown'}; the Dockerfile needs RUN --mount=type=cache (buildah 1.24+). Fix: upgrade to Podman 5 (${PODMAN_INSTALL}).`,
  };
}

async function checkPodman(podman: Engine): Promise<EngineCheck[]> {
  const { check } = await podmanCli(podman);
  if (!check.ok) {
    const rest = CHECK_NAMES.podman.slice(1).map((name) => ({ name, ok: false, detail: 'not checked: podman is missing or too old' }));
    return [check, ...rest];
  }
  return [check, ...(await Promise.all([podmanSocket(podman), podmanCompose(podman), buildah(podman)]))];
}

/** The engine's checks, named as CHECK_NAMES lists them, each failure with its fix. */
export async function checkEngine(engine: Engine): Promise<EngineCheck[]> {
  return engine.name === 'podman' ? checkPodman(engine) : checkDocker();
}

// ---------------------------------------------------------------------------------------------
// A compose project with a name of its own.
// ---------------------------------------------------------------------------------------------

export interface ComposeProject {
  engine: Engine;
  dir: string;
  /** Compose files, relative to dir, in order. */
  files: string[];
  name: string;
  /** Used when the project has no .env (compose would otherwise read .env itself). */
  envFile?: string;
  /** Interpolation variables for compose (they win over .env). */
  env: Record<string, string>;
}

export function composeArgs(project: ComposeProject, args: string[]): string[] {
  const out = ['compose', '--project-directory', project.dir, '--project-name', project.name];
  for (const file of project.files) out.push('--file', file);
  if (project.envFile) out.push('--env-file', project.envFile);
  return [...out, ...args];
}

export function compose(project: ComposeProject, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(project.engine, composeArgs(project, args), {
    ...options,
    cwd: project.dir,
    env: { ...project.env, ...options.env },
  });
}

export interface ContainerState {
  service: string;
  name: string;
  state: string;
  health: string;
  exitCode: number;
}

/** `docker compose ps --all --format json`: an array (newer compose) or one object a line (2.2x). */
export function parseComposePs(stdout: string): ContainerState[] {
  const text = stdout.trim();
  if (!text) return [];
  let rows: Record<string, unknown>[];
  if (text.startsWith('[')) {
    rows = JSON.parse(text) as Record<string, unknown>[];
  } else {
    rows = text
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  return rows.map((row) => ({
    service: String(row.Service ?? ''),
    name: String(row.Name ?? ''),
    state: String(row.State ?? ''),
    health: String(row.Health ?? ''),
    exitCode: Number(row.ExitCode ?? 0),
  }));
}

export async function composePs(project: ComposeProject, signal?: AbortSignal): Promise<ContainerState[]> {
  const r = await compose(project, ['ps', '--all', '--format', 'json'], { timeout: 30_000, signal });
  return r.ok ? parseComposePs(r.stdout) : [];
}

/** Containers, networks and volumes still labelled with the project name. */
export async function leftovers(project: Pick<ComposeProject, 'engine' | 'name'>): Promise<string[]> {
  const { engine } = project;
  const filter = `label=${engine.projectLabel}=${project.name}`;
  const [containers, networks, volumes] = await Promise.all([
    run(engine, ['ps', '--all', '--quiet', '--filter', filter], { timeout: 30_000 }),
    run(engine, ['network', 'ls', '--quiet', '--filter', filter], { timeout: 30_000 }),
    run(engine, ['volume', 'ls', '--quiet', '--filter', filter], { timeout: 30_000 }),
  ]);
  const left: string[] = [];
  const add = (kind: string, r: RunResult) => {
    for (const id of r.stdout.split('\n').filter(Boolean)) left.push(`${kind} ${id}`);
  };
  add('container', containers);
  add('network', networks);
  add('volume', volumes);
  return left;
}

/** Whether the Docker engine's API is older than `minApi` (e.g. 1.44, engine 25). */
export async function engineApiBefore(minApi: string): Promise<boolean> {
  const r = await docker(['version', '--format', '{{.Server.APIVersion}}'], { timeout: 20_000 });
  const [major = 0, minor = 0] = firstLine(r.stdout).split('.').map(Number);
  const [needMajor = 0, needMinor = 0] = minApi.split('.').map(Number);
  return r.ok && (major < needMajor || (major === needMajor && minor < needMinor));
}

export interface ImageInfo {
  id: string;
  size: number;
}

export async function inspectImage(engine: Engine, ref: string): Promise<ImageInfo | undefined> {
  const r = await run(engine, ['image', 'inspect', '--format', '{{.Id}} {{.Size}}', ref], { timeout: 30_000 });
  if (!r.ok) return undefined;
  const [id = '', size] = firstLine(r.stdout).split(' ');
  // Podman prints the bare digest; the result always carries Docker's `sha256:` form.
  return { id: /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id, size: Number(size ?? 0) };
}

/** Everything an image carries about how it was made: config, env, labels and every history line. */
export async function imageMetadata(engine: Engine, ref: string): Promise<string> {
  const [inspect, history] = await Promise.all([
    run(engine, ['image', 'inspect', ref], { timeout: 30_000 }),
    run(engine, ['history', '--no-trunc', '--format', '{{.CreatedBy}}', ref], { timeout: 30_000 }),
  ]);
  return `${inspect.stdout}\n${history.stdout}`;
}
