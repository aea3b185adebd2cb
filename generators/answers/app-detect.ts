/**
 * Which app the image serves, and how: the project's own run commands first (a Dockerfile CMD,
 * Procfile, platform files, gunicorn.conf.py's wsgi_app), each checked against the code, then the
 * app objects and factories the parser found. When the project has Python files and none of this
 * finds an app, nothing is guessed: `appNotFound` says what was seen and which --app to pass.
 */
import type { Answers } from './types.js';
import { appExists, findApps, type AppCandidate, type AppFramework } from './app-discovery.js';
import { portOf, readGunicornConf, readRunHints, type RunHint } from './run-hints.js';

/** What gunicorn.conf.py sets that matters in a container, for the line generation prints. */
export interface GunicornConfFacts {
  file: string;
  bind?: string;
  port?: number;
  /** Its other settings as written (`workers = 2`), shown so the user sees what still applies. */
  applies: string[];
  /** Settings that cannot work in the container (daemon, log files on a read-only filesystem). */
  problems: string[];
}

export interface AppFacts {
  /** Set when the project has Python files and no app was found: the lines for the exit-2 message. */
  notFound?: string[];
  gunicornConf?: GunicornConfFacts;
}

export interface AppDetection {
  answers: Partial<Answers>;
  facts: AppFacts;
  notes: string[];
  /** The framework the chosen app was built with (undefined when only a run command named it). */
  framework?: AppFramework;
  /** The app's module sits under src/ (moduleName drops that folder). */
  srcLayout: boolean;
}

function where(c: AppCandidate): string {
  return `${c.file}:${c.line}`;
}

function gunicornConf(projectDir: string): GunicornConfFacts | undefined {
  const conf = readGunicornConf(projectDir);
  if (!conf) return undefined;
  const out: GunicornConfFacts = { file: conf.file, applies: [], problems: [] };
  for (const [name, { value, env }] of conf.settings) {
    const shown = `${name} = ${/^(\d+(\.\d+)?|True|False)$/.test(value) ? value : JSON.stringify(value)}${env ? ` (from ${env})` : ''}`;
    if (name === 'bind') {
      out.bind = value;
      out.port = portOf(value);
    } else if (name === 'daemon' && value === 'True') {
      out.problems.push(`${conf.file}: daemon = True sends gunicorn to the background and the container exits: remove it`);
    } else if ((name === 'errorlog' || name === 'pidfile') && value !== '-' && !value.startsWith('/dev/') && !value.startsWith('/tmp/')) {
      out.problems.push(`${conf.file}: ${name} = ${JSON.stringify(value)} writes into the read-only filesystem and gunicorn fails to start: use "-" (or a path under /tmp)`);
    } else if (['workers', 'worker_class', 'threads', 'timeout', 'keepalive', 'preload_app', 'max_requests', 'loglevel', 'accesslog'].includes(name)) {
      out.applies.push(shown);
    }
  }
  return out;
}

/** The module a run command names, as the project's files are named (`--chdir backend` + `api.main` -> `backend.api.main`). */
function hintApp(hint: RunHint): { app: string; pythonPath?: string } | undefined {
  if (!hint.app) return undefined;
  if (!hint.appDir || hint.appDir === '.' || hint.appDir === 'src') return { app: hint.app };
  return { app: `${hint.appDir.split('/').join('.')}.${hint.app}`, pythonPath: hint.appDir };
}

export function detectApp(projectDir: string): AppDetection {
  const search = findApps(projectDir);
  const hints = readRunHints(projectDir);
  const notes: string[] = [];
  const answers: Partial<Answers> = {};
  const facts: AppFacts = {};
  let chosen: { app: string; candidate?: AppCandidate; hint?: RunHint } | undefined;
  const ignored: string[] = [];

  for (const hint of hints) {
    const named = hintApp(hint);
    if (!named) continue;
    if (!appExists(search, named.app)) {
      ignored.push(`${hint.source} runs ${hint.app}, which the project does not define`);
      continue;
    }
    chosen = { app: hint.app!, hint, candidate: search.candidates.find((c) => c.appModule === named.app || c.appModule === `${named.app}()`) };
    if (named.pythonPath) answers.pythonPath = named.pythonPath;
    break;
  }
  if (!chosen) {
    const usable = search.candidates.find((c) => !c.needsArgs);
    if (usable) chosen = { app: usable.appModule, candidate: usable };
  }
  for (const line of ignored) notes.push(`${line}: not used`);

  if (chosen) {
    answers.appModule = chosen.app;
    const what = chosen.candidate ? `${chosen.candidate.kind === 'factory' ? 'factory' : 'app object'} ${chosen.app} in ${where(chosen.candidate)}` : `app ${chosen.app}`;
    notes.push(chosen.hint ? `${what}, as ${chosen.hint.source} runs it` : what);
    const others = search.candidates.filter((c) => c !== chosen!.candidate && c.appModule !== chosen!.app).slice(0, 3);
    if (others.length > 0) notes.push(`other app candidates: ${others.map((c) => `${c.appModule} (${where(c)})`).join(', ')}; pick one with --app`);
    const server = chosen.hint?.server;
    if (server === 'gunicorn' || server === 'uvicorn') answers.server = server;
    const port = chosen.hint?.port;
    if (port && port >= 1024) {
      answers.port = port;
      notes.push(`port ${port} from ${chosen.hint!.source}`);
    }
  } else if (search.pythonFiles > 0) {
    const needArgs = search.candidates.filter((c) => c.needsArgs).map((c) => `${where(c)}: factory ${c.appModule.replace(/\(\)$/, '(...)')} needs arguments`);
    facts.notFound = [...search.seen, ...needArgs, ...ignored];
  }

  const conf = gunicornConf(projectDir);
  if (conf) {
    facts.gunicornConf = conf;
    if (conf.port && conf.port >= 1024 && answers.port === undefined) answers.port = conf.port;
    // The project runs its ASGI app under gunicorn's process manager.
    if (!answers.server && /uvicorn/i.test(conf.applies.find((s) => s.startsWith('worker_class')) ?? '')) answers.server = 'gunicorn';
    notes.push(`${conf.file}: gunicorn reads it from the working directory` + (conf.bind ? ` (bind ${conf.bind})` : ''));
  }
  const module = chosen?.app.split(':')[0];
  const srcLayout = Boolean(module && search.files.get(module)?.startsWith('src/'));
  return { answers, facts, notes, framework: chosen?.candidate?.framework, srcLayout };
}

/** The exit-2 message when no app was found: what was seen and the --app to pass. */
export function appNotFound(facts: AppFacts | undefined): string | undefined {
  if (!facts?.notFound) return undefined;
  const seen = facts.notFound.length > 0 ? ` Seen: ${facts.notFound.join('; ')}.` : '';
  return (
    `no app object was found (no module-level FastAPI(), Flask() or factory call, and no run command of the project names one).${seen} ` +
    'Pass --app module:attribute, e.g. --app api.main:app, or --app pkg:create_app() for a factory'
  );
}

/** What generation says about gunicorn.conf.py once the server and port are decided. */
export function describeGunicornConf(a: Pick<Answers, 'server' | 'port' | 'framework'>, facts: AppFacts | undefined): string[] {
  const conf = facts?.gunicornConf;
  if (!conf) return [];
  if (a.server !== 'gunicorn') return [`${conf.file} is not used: the app runs on uvicorn (pass --server gunicorn to run it under gunicorn with that file)`];
  const lines = [
    `${conf.file}: gunicorn loads it from /app, so its settings apply${conf.applies.length > 0 ? ` (${conf.applies.join(', ')})` : ''}; ` +
      `the command line's --bind 0.0.0.0:${a.port} overrides ${conf.bind ? `its bind ${JSON.stringify(conf.bind)}` : 'any bind'}, so the app listens on port ${a.port} on every interface` +
      (conf.port !== undefined && conf.port !== a.port ? ` (not ${conf.port}: --port changes it)` : ''),
  ];
  return [...lines, ...conf.problems];
}
