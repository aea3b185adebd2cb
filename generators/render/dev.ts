/**
 * The development loop's files (issue 23): the Dockerfile's dev stage view, compose.dev.yml and its
 * bind-mount twin, and scripts/dev.sh. Production files do not change with it: the runtime stage
 * stays the last one (what a plain `docker build` makes) and never builds from the dev stages.
 */
import {
  DEBUG_PORT,
  DEBUGPY_PIN,
  DEV_COMPOSE_FILE,
  DEV_MOUNT_COMPOSE_FILE,
  devAppCommand,
  devComposeYaml,
  devMountComposeYaml,
  SYNC_RESTART_MIN_COMPOSE,
  WATCH_MIN_COMPOSE,
} from './dev-compose.js';
import { APP_DIR, type StackView } from './view.js';

function readExtra(pythonVersion: string, extra: string): string {
  const importToml = pythonVersion === '3.10' ? 'from pip._vendor import tomli as tomllib' : 'import tomllib';
  // The extra's name passed the answer's closed character set (answers/dev-options.ts).
  return `${importToml}; print(*tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['optional-dependencies']['${extra}'], sep=chr(10))`;
}

/** What the Dockerfile's dev-tools and dev stages need. */
export function devStageView(view: StackView) {
  const a = view.answers;
  const requirementsFile = a.deps === 'requirements' && a.devDeps !== '' ? a.devDeps : '';
  const extra = a.deps === 'pip-pyproject' && a.devDeps !== '' ? a.devDeps : '';
  const uvGroup = a.deps === 'uv' && a.devDeps !== '' ? a.devDeps : '';
  const debugpy = a.debugger ? DEBUGPY_PIN : '';
  const tools = [requirementsFile, extra && `the ${extra} extra`, uvGroup && `uv's ${uvGroup} group`, debugpy].filter(Boolean);
  return {
    tools: tools.length > 0,
    toolsText: tools.join(', '),
    requirementsFile,
    extra: extra !== '',
    readExtra: extra ? readExtra(a.pythonVersion, extra) : '',
    uvGroup,
    debugpy,
    pythonPath: [...new Set([view.pythonPath, `${APP_DIR}/src`, APP_DIR].filter(Boolean))].join(':'),
  };
}

/** The compose version scripts/dev.sh needs for watch: sync+restart (the worker) came a release later. */
export function watchMinCompose(view: StackView): string {
  return view.answers.worker ? SYNC_RESTART_MIN_COMPOSE : WATCH_MIN_COMPOSE;
}

/** What scripts/dev.sh.hbs reads besides the shared script view. */
export function devScriptView(view: StackView) {
  const [major, minor] = watchMinCompose(view).split('.').map(Number);
  return {
    devComposeFile: DEV_COMPOSE_FILE,
    devMountComposeFile: DEV_MOUNT_COMPOSE_FILE,
    watchMinCompose: watchMinCompose(view),
    watchMinMajor: major,
    watchMinMinor: minor,
    debugger: view.answers.debugger,
    debugPort: DEBUG_PORT,
    worker: view.answers.worker !== '',
  };
}

/** compose.dev.yml and compose.dev-mount.yml. */
export function devComposeFiles(view: StackView): { path: string; content: string }[] {
  return [
    { path: DEV_COMPOSE_FILE, content: devComposeYaml(view) },
    { path: DEV_MOUNT_COMPOSE_FILE, content: devMountComposeYaml(view) },
  ];
}

/** What README.Docker.md's development-loop section reads. */
export function devReadmeView(view: StackView) {
  return { dev: devStageView(view), debugger: view.answers.debugger, debugPort: DEBUG_PORT };
}
