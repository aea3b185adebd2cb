/**
 * Django in an existing project: manage.py, the settings module it names, the WSGI/ASGI application,
 * STATIC_ROOT, and how the settings read ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS and DEBUG from the
 * environment, all read with the parser. Detection fills defaults from it; `djangoProblems` turns
 * what cannot work (no Django in the dependencies, a settings module that does not exist) into a
 * clear answer error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { AnswerError } from './errors.js';
import type { Answers } from './types.js';
import { moduleName, projectPythonFiles } from './scan/files.js';
import { children, PyFile, type PyNode } from './scan/python.js';
import type { ScanResult } from './scan/index.js';

export const DJANGO_MIGRATE = ['python', 'manage.py', 'migrate', '--noinput'] as const;

/** A setting Django reads from the environment whose safe production value the stack gives. */
export interface DjangoEnvSetting {
  name: string;
  kind: 'hosts' | 'csrf' | 'debug';
  /** hosts/csrf: how the settings split the list (", " for django-environ, decouple Csv, .split(",")). */
  separator?: string;
  /** debug: a value the settings read as false (the comparison or cast they apply). */
  off?: string;
}

export interface DjangoFacts {
  /** DJANGO_SETTINGS_MODULE from manage.py (or wsgi.py). */
  settingsModule?: string;
  /** The settings file, relative to the project. */
  settingsFile?: string;
  wsgi?: string;
  asgi?: string;
  /** STATIC_ROOT as a container path. */
  staticRoot?: string;
  whitenoise: boolean;
  settingsEnv: DjangoEnvSetting[];
  /** Why a Django stack cannot be generated for this project (bad input: exit 2). */
  problem?: string;
}

const HOSTS = ['ALLOWED_HOSTS', 'DJANGO_ALLOWED_HOSTS'];
const CSRF = ['CSRF_TRUSTED_ORIGINS', 'DJANGO_CSRF_TRUSTED_ORIGINS'];
const DEBUG = ['DEBUG', 'DJANGO_DEBUG'];
const SETTINGS_VAR = 'DJANGO_SETTINGS_MODULE';

/** `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")` or `os.environ["DJANGO_SETTINGS_MODULE"] = "x"` in the file. */
function settingsModuleIn(file: PyFile): string | undefined {
  let found: string | undefined;
  file.tree.iterate({
    enter: (ref) => {
      if (found) return false;
      if (ref.name === 'CallExpression' && file.callee(ref.node) === 'os.environ.setdefault') {
        const [key, value] = file.args(ref.node).positional;
        if (file.stringValue(key) === SETTINGS_VAR) found = file.stringValue(value);
      } else if (ref.name === 'AssignStatement') {
        const [target, , value] = children(ref.node);
        const [object, , key] = target?.name === 'MemberExpression' ? children(target) : [];
        if (object && file.canonical(file.dotted(object)) === 'os.environ' && file.stringValue(key) === SETTINGS_VAR) found = file.stringValue(value);
      }
      return undefined;
    },
  });
  return found;
}

/** `application = get_wsgi_application()` -> "application", in a wsgi.py/asgi.py. */
function applicationIn(file: PyFile, factory: string): string | undefined {
  for (const [name, value] of file.assignments) {
    if (value.name === 'CallExpression' && (file.callee(value) ?? '').endsWith(factory)) return name;
  }
  return undefined;
}

/** The file a settings module lives in (a module or a package), or undefined. */
function settingsFileOf(projectDir: string, module: string): string | undefined {
  const path = module.split('.').join('/');
  const candidates = [`${path}.py`, `${path}/__init__.py`, `src/${path}.py`, `src/${path}/__init__.py`];
  return candidates.find((c) => existsSync(join(projectDir, c)));
}

function parse(projectDir: string, rel: string): PyFile | undefined {
  try {
    return new PyFile(rel, moduleName(rel), readFileSync(join(projectDir, rel), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The expression that reads `name` on `line`: os.environ.get("X"), env.list("X"), config("X"), os.environ["X"]. */
function readNode(file: PyFile, name: string, line: number): PyNode | undefined {
  let found: PyNode | undefined;
  file.tree.iterate({
    enter: (ref) => {
      if (found) return false;
      if ((ref.name !== 'CallExpression' && ref.name !== 'MemberExpression') || file.line(ref.node) !== line) return undefined;
      if (ref.name === 'CallExpression' && file.stringValue(file.args(ref.node).positional[0]) === name) found = ref.node;
      else if (ref.name === 'MemberExpression' && children(ref.node)[1]?.name === '[' && file.stringValue(children(ref.node)[2]) === name) found = ref.node;
      return undefined;
    },
  });
  return found;
}

/** Up through `.lower()`, `.strip()` and the like: the expression the read's value really feeds. */
function outer(file: PyFile, node: PyNode): PyNode {
  let current = node;
  for (;;) {
    const member = current.parent;
    const call = member?.parent;
    const property = member?.name === 'MemberExpression' ? children(member)[2] : undefined;
    if (!property || call?.name !== 'CallExpression' || !['lower', 'strip', 'casefold', 'upper'].includes(file.text(property))) return current;
    current = call;
  }
}

/** How a list setting is split: `.split(" ")` after the read, else a comma (django-environ, decouple Csv). */
function separatorOf(file: PyFile, node: PyNode): string {
  const member = outer(file, node).parent;
  const [, , property] = member?.name === 'MemberExpression' ? children(member) : [];
  if (property && file.text(property) === 'split' && member!.parent?.name === 'CallExpression') {
    return file.stringValue(file.args(member!.parent).positional[0]) ?? ' ';
  }
  return ',';
}

/** A value the settings read as "debug off": int() wants 0, `x != "False"` wants "False", the rest take False. */
function debugOff(file: PyFile, node: PyNode): string {
  const value = outer(file, node);
  const parent = value.parent;
  if (parent?.name === 'ArgList' && parent.parent?.name === 'CallExpression' && file.callee(parent.parent) === 'int') return '0';
  if (parent?.name === 'BinaryExpression') {
    const parts = children(parent);
    const op = parts.find((p) => p.name === 'CompareOp');
    const other = parts.find((p) => p !== value && (p.name === 'String' || p.name === 'Number'));
    const literal = other && (file.stringValue(other) ?? file.text(other));
    if (op && literal !== undefined) {
      // x != "False" is off only for that literal; x == "True" is off for anything else.
      if (file.text(op) === '!=') return literal;
      if (file.text(op) === '==') return literal.toLowerCase() === 'false' ? '0' : 'False';
    }
  }
  return 'False';
}

function settingsEnv(projectDir: string, scan: ScanResult): DjangoEnvSetting[] {
  const out: DjangoEnvSetting[] = [];
  const files = new Map<string, PyFile | undefined>();
  for (const read of scan.envReads) {
    const kind = HOSTS.includes(read.name) ? 'hosts' : CSRF.includes(read.name) ? 'csrf' : DEBUG.includes(read.name) ? 'debug' : undefined;
    if (!kind) continue;
    if (!files.has(read.file)) files.set(read.file, parse(projectDir, read.file));
    const file = files.get(read.file);
    const node = file && readNode(file, read.name, read.line);
    if (kind === 'debug') out.push({ name: read.name, kind, off: file && node ? debugOff(file, node) : 'False' });
    else out.push({ name: read.name, kind, separator: file && node ? separatorOf(file, node) : ',' });
  }
  return out;
}

export interface DjangoDetection {
  answers: Partial<Answers>;
  facts: DjangoFacts;
  notes: string[];
}

/** Django facts and defaults, or undefined when the project is not a Django project (no manage.py). */
export function detectDjango(projectDir: string, dependencies: string[] | undefined, scan: ScanResult | undefined): DjangoDetection | undefined {
  if (!existsSync(join(projectDir, 'manage.py'))) return undefined;
  const notes: string[] = [];
  const answers: Partial<Answers> = { framework: 'django', server: 'gunicorn' };
  const facts: DjangoFacts = { whitenoise: dependencies?.includes('whitenoise') ?? false, settingsEnv: [] };

  const manage = parse(projectDir, 'manage.py');
  const pyFiles = projectPythonFiles(projectDir);
  const apps: { kind: 'wsgi' | 'asgi'; module: string; attribute: string; settings?: string }[] = [];
  for (const rel of pyFiles.filter((f) => /(^|\/)(wsgi|asgi)\.py$/.test(f))) {
    const file = parse(projectDir, rel);
    if (!file) continue;
    const kind = rel.endsWith('asgi.py') ? 'asgi' : 'wsgi';
    const attribute = applicationIn(file, kind === 'wsgi' ? 'get_wsgi_application' : 'get_asgi_application');
    if (attribute) apps.push({ kind, module: moduleName(rel), attribute, settings: settingsModuleIn(file) });
  }
  facts.settingsModule = (manage && settingsModuleIn(manage)) ?? apps.find((a) => a.settings)?.settings;
  // The application beside the settings package first (mysite.wsgi for mysite.settings), then the shallowest.
  const top = facts.settingsModule?.split('.')[0];
  const pick = (kind: 'wsgi' | 'asgi') =>
    apps.filter((a) => a.kind === kind).sort((x, y) => Number(y.module.split('.')[0] === top) - Number(x.module.split('.')[0] === top) || x.module.split('.').length - y.module.split('.').length)[0];
  const wsgi = pick('wsgi');
  const asgi = pick('asgi');
  if (wsgi) facts.wsgi = `${wsgi.module}:${wsgi.attribute}`;
  if (asgi) facts.asgi = `${asgi.module}:${asgi.attribute}`;

  if (!dependencies?.includes('django')) {
    facts.problem = `manage.py is here but Django is not in the dependencies${dependencies ? '' : ' (no requirements.txt or pyproject.toml was found)'}: add Django (e.g. "Django>=4.2,<5") to the dependency file the image installs`;
  } else if (!facts.settingsModule) {
    facts.problem = `manage.py does not set ${SETTINGS_VAR} (os.environ.setdefault("${SETTINGS_VAR}", "mysite.settings")): add it so the image can run manage.py`;
  } else {
    facts.settingsFile = settingsFileOf(projectDir, facts.settingsModule);
    if (!facts.settingsFile) {
      const path = facts.settingsModule.split('.').join('/');
      facts.problem = `manage.py names the settings module ${facts.settingsModule}, but neither ${path}.py nor ${path}/__init__.py exists: fix ${SETTINGS_VAR} in manage.py`;
    }
  }
  notes.push(`Django: manage.py` + (facts.settingsModule ? `, settings ${facts.settingsModule}` + (facts.settingsFile ? ` (${facts.settingsFile})` : ' (not found)') : ''));

  if (facts.wsgi) {
    answers.appModule = facts.wsgi;
    notes.push(`WSGI application ${facts.wsgi}: served by gunicorn` + (facts.asgi ? ` (ASGI ${facts.asgi}: --server uvicorn --app ${facts.asgi})` : ''));
  } else if (facts.asgi) {
    answers.appModule = facts.asgi;
    answers.server = 'uvicorn';
    notes.push(`ASGI application ${facts.asgi}: served by uvicorn`);
  }
  answers.migrations = 'django';
  notes.push(`migrations run with \`${DJANGO_MIGRATE.join(' ')}\` as the one-shot migrate service`);
  const readers = ['dj-database-url', 'django-environ', 'python-decouple'].filter((d) => dependencies?.includes(d));
  if (readers.length > 0) notes.push(`settings read with ${readers.join(', ')}`);

  if (scan) {
    const staticRoot = scan.writablePaths.find((w) => w.setting === 'STATIC_ROOT');
    if (staticRoot && (staticRoot.base === 'project' || staticRoot.base === 'cwd' || staticRoot.base === 'absolute')) {
      facts.staticRoot = staticRoot.base === 'absolute' ? posix.normalize(staticRoot.path) : posix.normalize(posix.join('/app', staticRoot.path));
      answers.collectStatic = true;
      notes.push(
        `STATIC_ROOT ${facts.staticRoot} (${staticRoot.file}:${staticRoot.line}): collectstatic runs at build time; ` +
          (facts.whitenoise ? 'WhiteNoise serves it' : 'no WhiteNoise: serve it from a reverse proxy (README.Docker.md)'),
      );
    } else if (!staticRoot) {
      notes.push('no STATIC_ROOT in the settings: collectstatic is skipped (set STATIC_ROOT, then --collectstatic)');
    }
    facts.settingsEnv = settingsEnv(projectDir, scan);
  }
  return { answers, facts, notes };
}

/** Django answers that cannot work: checked with the other cross-field rules (exit 2). */
export function djangoProblems(a: Answers, facts: DjangoFacts | undefined): void {
  if (a.framework === 'django') {
    if (facts?.problem) throw new AnswerError('framework', facts.problem);
    if (a.server === 'uvicorn' && /(^|\.)wsgi:/.test(a.appModule)) {
      const asgi = facts?.asgi ?? a.appModule.replace(/(^|\.)wsgi:/, '$1asgi:');
      throw new AnswerError('app', `uvicorn serves Django's ASGI application: pass --app ${asgi} (or drop --server uvicorn for gunicorn)`);
    }
  } else {
    if (a.migrations === 'django') throw new AnswerError('migrations', '"django" runs manage.py migrate: use it with --framework django');
    if (a.collectStatic) throw new AnswerError('collectstatic', 'runs manage.py collectstatic: use it with --framework django');
  }
}

/** The value the stack gives a Django setting read from the environment, or undefined for other names. */
export function djangoWiring(name: string, a: Partial<Answers>, facts: DjangoFacts | undefined): string | undefined {
  const setting = facts?.settingsEnv.find((s) => s.name === name);
  if (!setting) return undefined;
  // Behind the proxy the browser's origin is https://<domain> (localhost without one), and the
  // proxy forwards that Host; the image's health probe still reaches the app as 127.0.0.1.
  const front = a.proxy !== undefined && a.proxy !== 'none' ? (a.domains && a.domains.length > 0 ? a.domains : ['localhost']) : [];
  // The smoke test and the image's health probe reach the app as 127.0.0.1 and localhost.
  if (setting.kind === 'hosts') return [...new Set(['localhost', '127.0.0.1', ...front])].join(setting.separator);
  if (setting.kind === 'csrf') {
    if (front.length > 0) return front.map((d) => `https://${d.includes(':') ? `[${d}]` : d}`).join(setting.separator);
    return [`http://localhost:${a.port ?? 8000}`, `http://127.0.0.1:${a.port ?? 8000}`].join(setting.separator);
  }
  return setting.off;
}
