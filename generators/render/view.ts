/**
 * Facts derived from the answers that several files share (ports, paths, commands, images),
 * computed once so the Dockerfile, compose file, scripts and README cannot disagree.
 */
import type { Answers } from '../answers/types.js';
import { migrationArgv } from '../answers/schema.js';
import { splitCommand } from '../answers/shell-words.js';
import { packageVersion } from '../paths.js';

export const APP_UID = 10001;
export const VENV = '/opt/venv';
export const APP_DIR = '/app';
/** uv is copied from its official image; a build argument so a mirror can replace it. */
export const UV_IMAGE = 'ghcr.io/astral-sh/uv:0.9.5';
/** Seconds the server is given to finish requests on stop; compose waits longer (stop_grace_period). */
export const GRACEFUL_SECONDS = 20;
export const STOP_GRACE_SECONDS = 30;
/**
 * The app's health probe timing, shared by the image's HEALTHCHECK and compose so they never
 * disagree. A 5 s interval makes `up --wait` return soon after the app is ready (this engine
 * generation has no start_interval); each probe is one short Python process.
 */
export const APP_HEALTH = { interval: '5s', timeout: '5s', startPeriod: '30s', retries: 3 } as const;

export interface StackView {
  version: string;
  name: string;
  pythonVersion: string;
  baseImage: string;
  postgresImage: string;
  port: number;
  healthPath: string;
  healthUrl: string;
  server: 'gunicorn' | 'uvicorn';
  /** The server's argv (JSON exec form in the Dockerfile). */
  command: string[];
  /** The image's health probe argv: Python's urllib, since slim images have no curl. */
  healthcheck: string[];
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

export function defaultPostgresImage(version: number): string {
  return `postgres:${version}-bookworm`;
}

/** Where the official image keeps data: 18+ moved PGDATA under a versioned path (checklist PG-04). */
export function postgresDataPath(version: number): string {
  return version >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
}

function serverCommand(a: Answers): { server: 'gunicorn' | 'uvicorn'; command: string[] } {
  const bind = `0.0.0.0`;
  if (a.framework === 'flask' || a.framework === 'wsgi') {
    return {
      server: 'gunicorn',
      command: [
        'gunicorn',
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

export function buildView(a: Answers): StackView {
  const { server, command } = serverCommand(a);
  const healthUrl = `http://127.0.0.1:${a.port}${a.healthPath}`;
  const builderPackages: string[] = [];
  if (a.nativeBuild || a.libpq) builderPackages.push('gcc', 'libc6-dev');
  if (a.libpq) builderPackages.push('libpq-dev');
  const migrateCommand = migrationArgv(a);
  return {
    version: packageVersion(),
    name: a.name,
    pythonVersion: a.pythonVersion,
    baseImage: defaultBaseImage(a.pythonVersion),
    postgresImage: defaultPostgresImage(a.postgresVersion),
    port: a.port,
    healthPath: a.healthPath,
    healthUrl,
    server,
    command,
    // No whitespace inside an argument: Podman 5's Docker API splits them (containers/podman#26519).
    healthcheck: ['python', '-c', `__import__('urllib.request').request.urlopen(${JSON.stringify(healthUrl).replace(/"/g, "'")},timeout=4)`],
    workerCommand: a.worker ? splitCommand(a.worker) : undefined,
    migrateCommand,
    migrateLabel: migrateCommand ? migrateCommand.join(' ') : '',
    builderPackages,
    runtimePackages: a.libpq ? ['libpq5'] : [],
    appUid: APP_UID,
    gpu: a.gpu,
    answers: a,
  };
}
