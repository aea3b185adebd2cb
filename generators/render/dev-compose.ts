/**
 * The development loop's compose files, built as data from the same stack model as
 * docker-compose.yml: `compose.dev.yml` extends the production file (never loaded by a plain
 * `docker compose up`, unlike compose.override.yml) with the framework's reload server, the
 * Dockerfile's `dev` target and Compose `develop.watch`; `compose.dev-mount.yml` is the same for a
 * Compose older than watch, with a read-only bind mount of the project instead.
 *
 * Hardening that does not get in the way stays: non-root, no-new-privileges, cap_drop ALL,
 * loopback ports, limits. The one relaxation: watch's sync writes the edits into the app and
 * worker containers, so their root filesystem is writable (the dev image gives /app to the app user).
 */
import { Document } from 'yaml';
import { managePy } from '../answers/django.js';
import { dependencyFiles } from '../stack/view.js';
import { modelOf } from '../stack/model.js';
import type { StackModel } from '../stack/types.js';
import { commentKey } from './compose.js';
import { APP_DIR, type StackView } from './view.js';

export const DEV_COMPOSE_FILE = 'compose.dev.yml';
export const DEV_MOUNT_COMPOSE_FILE = 'compose.dev-mount.yml';
/** The Dockerfile stage compose.dev.yml builds. */
export const DEV_TARGET = 'dev';
/** debugpy's port, published on the host's loopback only. */
export const DEBUG_PORT = 5678;
export const DEBUGPY_PIN = 'debugpy==1.8.14';
/** The oldest Compose with `develop.watch` (sync, rebuild) and with its `sync+restart` action. */
export const WATCH_MIN_COMPOSE = '2.22.0';
export const SYNC_RESTART_MIN_COMPOSE = '2.23.0';

/** The services built from the project's image (app, worker, migrate) that the dev image replaces. */
function imageServices(model: StackModel): string[] {
  return model.services.filter((s) => s.module.kind === 'app').map((s) => s.name);
}

/** The framework's reload server, listening on all interfaces of the container (the port is published on loopback). */
export function devServerArgv(view: StackView): string[] {
  const a = view.answers;
  const port = String(a.port);
  if (a.framework === 'django') return ['python', managePy(a), 'runserver', `0.0.0.0:${port}`];
  if (a.framework === 'flask') return ['flask', '--app', a.appModule, '--debug', 'run', '--host', '0.0.0.0', '--port', port];
  if (a.framework === 'fastapi' || a.framework === 'asgi') {
    const factory = a.appModule.endsWith('()');
    return ['uvicorn', ...(factory ? ['--factory', a.appModule.slice(0, -2)] : [a.appModule]), '--host', '0.0.0.0', '--port', port, '--reload'];
  }
  // A plain WSGI app: gunicorn reloads its workers when a source file changes.
  return ['gunicorn', '--reload', '--bind', `0.0.0.0:${port}`, '--worker-tmp-dir', '/dev/shm', '--access-logfile', '-', a.appModule];
}

/** The app's dev command: the reload server, under debugpy when asked. */
export function devAppCommand(view: StackView): string[] {
  const argv = devServerArgv(view);
  if (!view.answers.debugger) return argv;
  // debugpy listens on every interface of the container: the port is published on 127.0.0.1 only.
  const [program, ...rest] = argv;
  const target = program === 'python' ? rest : ['-m', program!, ...rest];
  return ['python', '-m', 'debugpy', '--listen', `0.0.0.0:${DEBUG_PORT}`, ...target];
}

/**
 * The files whose change needs a new image: the dependency files and the dev ones. Not the
 * Dockerfile: watch skips what .dockerignore excludes, and the Dockerfile stays out of the build
 * context (seen with Compose 2.26), so scripts/dev.sh builds it afresh at each start instead.
 */
export function rebuildPaths(view: StackView): string[] {
  const a = view.answers;
  const devFile = a.deps === 'requirements' && a.devDeps !== '' ? [a.devDeps] : [];
  return [...new Set([...dependencyFiles(a), ...devFile])];
}

function watchRules(view: StackView, syncAction: 'sync' | 'sync+restart') {
  return [
    // Rebuild rules first: a dependency file is also under the synced folder.
    ...rebuildPaths(view).map((path) => ({ path: `./${path}`, action: 'rebuild' })),
    { path: '.', action: syncAction, target: APP_DIR },
  ];
}

function devService(view: StackView, name: string, mode: 'watch' | 'mount'): Record<string, unknown> {
  const a = view.answers;
  const synced = name === 'app' || name === 'worker';
  const service: Record<string, unknown> = { build: { target: DEV_TARGET }, image: `${a.name}:dev` };
  if (name === 'app') service.command = devAppCommand(view);
  if (name === 'app' && a.debugger) service.ports = [`127.0.0.1:${DEBUG_PORT}:${DEBUG_PORT}`];
  if (synced && mode === 'watch') {
    service.read_only = false;
    service.develop = { watch: watchRules(view, name === 'worker' ? 'sync+restart' : 'sync') };
  }
  if (synced && mode === 'mount') service.volumes = [`.:${APP_DIR}:ro`];
  return service;
}

/** The dev override as data: the dev project name, the dev image, and per service what changes. */
export function devComposeObject(view: StackView, mode: 'watch' | 'mount' = 'watch'): Record<string, unknown> {
  const model = modelOf(view);
  return {
    // Its own project: its containers, network and volumes (a dev database) never touch production's.
    name: `${model.name}-dev`,
    services: Object.fromEntries(imageServices(model).map((name) => [name, devService(model, name, mode)])),
  };
}

function serialise(view: StackView, mode: 'watch' | 'mount', header: string): string {
  const model = modelOf(view);
  const doc = new Document(devComposeObject(model, mode), { compat: 'yaml-1.1', aliasDuplicateObjects: false });
  doc.commentBefore = header;
  commentKey(doc, ['name'], 'A project of its own: scripts/dev.sh stops and removes it, production is untouched.');
  const names = imageServices(model);
  commentKey(doc, ['services', names[0]!, 'build'], 'The Dockerfile\'s dev stage: the code belongs to the app user, development tools installed; the runtime stage never includes it.');
  if (mode === 'watch') {
    commentKey(doc, ['services', 'app', 'read_only'], 'Compose watch copies edits into the container as the app user, so the root filesystem is writable here (never in production).');
    commentKey(doc, ['services', 'app', 'develop'], 'Code is synced into the running container (the reload server picks it up); a dependency file rebuilds the image (a Dockerfile edit: restart scripts/dev.sh).');
    if (names.includes('worker')) commentKey(doc, ['services', 'worker', 'develop'], 'The worker has no reloader: a synced change restarts it.');
  } else {
    commentKey(doc, ['services', 'app', 'volumes'], 'The project, read-only: the reload server sees your edits. Restart the worker yourself after changing its code.');
  }
  if (view.answers.debugger) commentKey(doc, ['services', 'app', 'ports'], `debugpy on this machine's loopback only (README.Docker.md: attaching VS Code).`);
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

/** compose.dev.yml: the development loop with Compose watch (scripts/dev.sh). */
export function devComposeYaml(view: StackView): string {
  return serialise(
    view,
    'watch',
    ' Development loop, never loaded by production (docker compose up reads docker-compose.yml only).\n' +
      ' scripts/dev.sh runs it: docker compose -f docker-compose.yml -f compose.dev.yml up --build --watch\n' +
      ' The same stack as production with the app\'s reload server; edits are synced, not rebuilt.',
  );
}

/** compose.dev-mount.yml: the same loop for a Compose without watch (older than 2.22). */
export function devMountComposeYaml(view: StackView): string {
  return serialise(
    view,
    'mount',
    ' Development loop for a Compose older than 2.22 (no develop.watch): scripts/dev.sh uses it then.\n' +
      '   docker compose -f docker-compose.yml -f compose.dev-mount.yml up --build\n' +
      ' The project is bind-mounted read-only over /app; a dependency change needs scripts/dev.sh again.',
  );
}
