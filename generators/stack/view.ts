/**
 * The base stack's facts that several files share (ports, paths, commands, images, hardening
 * defaults), computed once as part of the stack model so the Dockerfile, compose file, scripts and
 * README cannot disagree.
 */
import type { Answers } from '../answers/types.js';
import { migrationArgv, SERVER_PINS, serverPackages } from '../answers/schema.js';
import { stateVolumeName } from '../answers/settings.js';
import { splitCommand } from '../answers/shell-words.js';
import { packageVersion } from '../paths.js';

export const APP_UID = 10001;
export const VENV = '/opt/venv';
export const APP_DIR = '/app';
/** uv is copied from its official image; a build argument so a mirror can replace it. */
export const UV_IMAGE = 'ghcr.io/astral-sh/uv:0.9.5';
/** Seconds the server is given to finish requests on stop; compose waits longer (stop_grace_period). */
export const GRACEFUL_SECONDS = 20;
/**
 * Long-running services come back after a reboot or an engine restart (CP-11): gunicorn, uvicorn
 * and Postgres exit 0 on the engine's SIGTERM, which `on-failure` never restarts. A crash loop is
 * paced by the engine's back-off (doubling up to a minute), not ended.
 */
export const RESTART = 'unless-stopped';
export const STOP_GRACE_SECONDS = 30;
/**
 * The app's health probe timing, shared by the image's HEALTHCHECK and compose so they never
 * disagree; each probe is one short Python process. The worker and db probe at the same pace.
 */
export const APP_HEALTH = { interval: '5s', timeout: '5s', startPeriod: '30s', retries: 3 } as const;
/**
 * Compose's `start_interval` for app, worker, db and Redis: probe every second until the first
 * pass, so `up --wait` returns within about a second of the slowest service being ready. Engines
 * since 25 (API 1.44) honour it. Older engines, and Podman's Docker-compatible API, refuse it:
 * Compose stops when it creates the first container ("can't set healthcheck.start_interval"), for
 * any value, 0s included. So scripts/lib.sh and `create-pyimage smoke` add an override there that
 * removes the key (`!reset`, Compose 2.24+) and the 5 s interval alone paces the probes; nothing
 * else changes. The image's HEALTHCHECK has no --start-interval: the builders of those engines
 * reject the flag, and the Dockerfile must build on them too (compose's healthcheck replaces it).
 */
export const START_INTERVAL = { variable: 'HEALTHCHECK_START_INTERVAL', value: '1s', minApi: '1.44' } as const;
export const START_INTERVAL_REF = `\${${START_INTERVAL.variable}:-${START_INTERVAL.value}}`;

/** Every service's logs: rotated, so a chatty service cannot fill the disk. */
export const LOGGING = { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } };
export const SECURITY_OPT = ['no-new-privileges:true'];

export function limits(cpus: string, memory: string, pids: number) {
  return { resources: { limits: { cpus, memory, pids } } };
}

export function duration(seconds: number): string {
  return `${seconds}s`;
}

/**
 * What every long-running service ends with, in compose's key order: back after a reboot (CP-11), a
 * stop window (CP-22), limits (CP-08/09/10), open-file limits where given, rotated logs (CP-21).
 */
export function longRunning(grace: string, deploy: ReturnType<typeof limits>, nofile?: number) {
  return {
    restart: RESTART,
    stop_grace_period: grace,
    deploy,
    ...(nofile ? { ulimits: { nofile: { soft: nofile, hard: nofile } } } : {}),
    logging: LOGGING,
  };
}

/** Where the entrypoint lives in the project (and so at /app/<path> in the image). */
export const ENTRYPOINT_FILE = 'docker/entrypoint.py';

export interface StackView {
  version: string;
  name: string;
  pythonVersion: string;
  baseImage: string;
  port: number;
  healthPath: string;
  healthUrl: string;
  server: 'gunicorn' | 'uvicorn';
  /** The server's argv (JSON exec form in the Dockerfile). */
  command: string[];
  /** The image's health probe argv: Python's urllib, since slim images have no curl. */
  healthcheck: string[];
  /** Pinned server packages the image installs because the dependencies lack them (empty: none). */
  serverPackages: string[];
  /** Writable directories and the named volume over each. */
  stateDirs: { path: string; volume: string }[];
  /** PYTHONPATH for a src layout that pip does not install, else ''. */
  pythonPath: string;
  /** The image's ENTRYPOINT fills secret settings at start (docker/entrypoint.py). */
  entrypoint: string[] | undefined;
  /** Every secret file under secrets/ the stack reads. */
  secrets: string[];
  workerCommand: string[] | undefined;
  migrateCommand: string[] | undefined;
  migrateLabel: string;
  builderPackages: string[];
  runtimePackages: string[];
  appUid: number;
  gpu: Answers['gpu'];
  answers: Answers;
}

/** The files the Dockerfile binds for dependencies before it copies the code. */
export function dependencyFiles(a: Answers): string[] {
  if (a.deps === 'requirements') return [a.requirementsFile];
  return a.deps === 'uv' ? ['pyproject.toml', 'uv.lock'] : ['pyproject.toml'];
}

export function defaultBaseImage(pythonVersion: string): string {
  return `python:${pythonVersion}-slim-bookworm`;
}

function serverCommand(a: Answers): { server: 'gunicorn' | 'uvicorn'; command: string[] } {
  const bind = `0.0.0.0`;
  if (a.server === 'gunicorn') {
    const asgi = a.framework === 'fastapi' || a.framework === 'asgi';
    return {
      server: 'gunicorn',
      command: [
        'gunicorn',
        // ASGI apps run in uvicorn's worker class under gunicorn's process management.
        ...(asgi ? ['--worker-class', 'uvicorn.workers.UvicornWorker'] : []),
        '--bind', `${bind}:${a.port}`,
        // Heartbeat files on tmpfs: no fchmod stalls, and works with a read-only root (DF-21).
        '--worker-tmp-dir', '/dev/shm',
        '--graceful-timeout', String(GRACEFUL_SECONDS),
        '--access-logfile', '-',
        a.appModule,
      ],
    };
  }
  const factory = a.appModule.endsWith('()');
  return {
    server: 'uvicorn',
    command: [
      'uvicorn',
      ...(factory ? ['--factory', a.appModule.slice(0, -2)] : [a.appModule]),
      '--host', bind,
      '--port', String(a.port),
    ],
  };
}

/** The facts of the base stack; the secrets and the entrypoint follow from the resolved settings. */
export function baseView(a: Answers, secrets: string[], entrypoint: boolean, packages: { builder: string[]; runtime: string[] }): StackView {
  const { server, command } = serverCommand(a);
  const healthUrl = `http://127.0.0.1:${a.port}${a.healthPath}`;
  const builderPackages = [...new Set([...(a.nativeBuild ? ['gcc', 'libc6-dev'] : []), ...packages.builder])];
  const migrateCommand = migrationArgv(a);
  return {
    version: packageVersion(),
    name: a.name,
    pythonVersion: a.pythonVersion,
    baseImage: defaultBaseImage(a.pythonVersion),
    port: a.port,
    healthPath: a.healthPath,
    healthUrl,
    server,
    command,
    // No whitespace inside an argument: Podman 5's Docker API splits them (containers/podman#26519).
    healthcheck: ['python', '-c', `__import__('urllib.request').request.urlopen(${JSON.stringify(healthUrl).replace(/"/g, "'")},timeout=4)`],
    serverPackages: a.installServer ? serverPackages(a.framework, a.server).map((p) => SERVER_PINS[p]) : [],
    stateDirs: a.stateDirs.map((path) => ({ path, volume: stateVolumeName(path) })),
    pythonPath: a.pythonPath ? `${APP_DIR}/${a.pythonPath}` : '',
    entrypoint: entrypoint ? ['python', `${APP_DIR}/${ENTRYPOINT_FILE}`] : undefined,
    secrets,
    workerCommand: a.worker ? splitCommand(a.worker) : undefined,
    migrateCommand,
    migrateLabel: migrateCommand ? migrateCommand.join(' ') : '',
    builderPackages,
    runtimePackages: packages.runtime,
    appUid: APP_UID,
    gpu: a.gpu,
    answers: a,
  };
}

/** The override for engines without start_interval: `!reset` removes the key from each service. */
export function withoutStartInterval(services: string[]): string {
  return `services:\n${services.map((s) => `  ${s}:\n    healthcheck:\n      start_interval: !reset null\n`).join('')}`;
}
