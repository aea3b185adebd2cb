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
import { debugWith, envScheme, productionOn, readSwitch, type SettingsSwitch } from './django-switch.js';

export const DJANGO_MIGRATE = ['python', 'manage.py', 'migrate', '--noinput'] as const;

/** manage.py's path from /app: `manage.py`, or `backend/manage.py` for Django in a subfolder. */
export function managePy(a: Pick<Answers, 'djangoDir'>): string {
  return a.djangoDir ? `${a.djangoDir}/manage.py` : 'manage.py';
}

/** A setting Django reads from the environment whose safe production value the stack gives. */
export interface DjangoEnvSetting {
  name: string;
  kind: 'hosts' | 'csrf' | 'debug';
  /** hosts/csrf: how the settings split the list (", " for django-environ, decouple Csv, .split(",")). */
  separator?: string;
  /** debug: a value the settings read as false (the comparison or cast they apply). */
  off?: string;
  /** hosts/csrf read as a plain string straight into a list setting: Django refuses any value, so none is given. */
  raw?: { setting: string; where: string; source: string };
}

/** Settings Django wants as a list or tuple: a string there stops it at start. */
const LIST_SETTINGS = new Set(['ALLOWED_HOSTS', 'CSRF_TRUSTED_ORIGINS', 'INTERNAL_IPS', 'CORS_ALLOWED_ORIGINS']);

/** True when the read yields a list: env.list/tuple, cast=list (or decouple's Csv()), or a .split() after it. */
function readsList(file: PyFile, node: PyNode): boolean {
  if (node.name === 'CallExpression') {
    const callee = file.callee(node) ?? '';
    if (/\.(list|tuple)$/.test(callee)) return true;
    const args = file.args(node);
    const cast = args.keywords.get('cast') ?? (callee === 'environ.Env()' ? args.positional[1] : undefined);
    if (cast && /^(list|tuple)$|Csv\(|split/.test(file.text(cast))) return true;
  }
  const member = outer(file, node).parent;
  return member?.name === 'MemberExpression' && file.text(children(member)[2] ?? member) === 'split';
}

/** The list setting a plain-string read is assigned to directly (`ALLOWED_HOSTS = env("X", default=[])`, also `... or []`). */
function rawInto(file: PyFile, node: PyNode): DjangoEnvSetting['raw'] {
  let value = outer(file, node);
  if (value.parent?.name === 'BinaryExpression' && children(value.parent).some((p) => p.name === 'or')) value = value.parent;
  const statement = value.parent;
  if (statement?.name !== 'AssignStatement' || statement.lastChild?.from !== value.from) return undefined;
  const target = statement.firstChild;
  const setting = target?.name === 'VariableName' ? file.text(target) : '';
  return LIST_SETTINGS.has(setting) ? { setting, where: `${file.rel}:${file.line(statement)}`, source: file.text(statement).replace(/\s+/g, ' ') } : undefined;
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
  /** The settings file names WhiteNoiseMiddleware (in MIDDLEWARE): the app serves its static files itself. */
  whitenoiseMiddleware?: boolean;
  settingsEnv: DjangoEnvSetting[];
  /** Why a Django stack cannot be generated for this project (bad input: exit 2). */
  problem?: string;
  /** The folder manage.py sits in ('' for the project root). */
  dir?: string;
  /** How the settings decide DEBUG and STATIC_ROOT (evaluated again for the final --env). */
  switch?: SettingsSwitch;
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
function settingsFileOf(projectDir: string, module: string, dir = ''): string | undefined {
  const path = (dir ? `${dir}/` : '') + module.split('.').join('/');
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

/** True for a read that hands back the variable's text: os.environ, getenv, env("X") / env.str / config("X") without a cast. */
function rawText(file: PyFile, node: PyNode): boolean {
  if (node.name === 'MemberExpression') return true;
  const callee = file.callee(node) ?? '';
  const args = file.args(node);
  if (['os.environ.get', 'os.getenv', 'environ.Env().str'].includes(callee)) return true;
  if (callee === 'environ.Env()') return !args.keywords.has('cast') && args.positional.length < 2 && !args.keywords.has('default') && !envScheme(file, file.stringValue(args.positional[0]));
  return callee === 'decouple.config' && !args.keywords.has('cast');
}

/** A value the settings read as "debug off": int() wants 0, `x != "False"` wants "False", the rest take False. */
function debugOff(file: PyFile, node: PyNode): string {
  const value = outer(file, node);
  const parent = value.parent;
  // DEBUG = env("DEBUG") / os.environ.get("DEBUG"): the text itself, and any non-empty text is true.
  if (parent?.name === 'AssignStatement' && rawText(file, node)) return '';
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
    else {
      const raw = file && node && !readsList(file, node) ? rawInto(file, node) : undefined;
      out.push({ name: read.name, kind, separator: file && node ? separatorOf(file, node) : ',', ...(raw ? { raw } : {}) });
    }
  }
  return out;
}

export interface DjangoDetection {
  answers: Partial<Answers>;
  facts: DjangoFacts;
  notes: string[];
}

/** A manage.py and what it runs: Django's command line, a Flask one (FlaskGroup, Flask-Script, click), or something else. */
export interface ManagePy {
  rel: string;
  /** The folder it sits in ('' for the project root): Django imports the project from there. */
  dir: string;
  kind: 'django' | 'flask' | 'other';
  /** The import that decided the kind, for the note. */
  evidence?: string;
}

/** Every manage.py up to two folders deep, the shallowest first, each classified by what it imports. */
export function findManagePy(projectDir: string): ManagePy[] {
  const rels = projectPythonFiles(projectDir)
    .filter((rel) => /(^|\/)manage\.py$/.test(rel) && rel.split('/').length <= 3)
    .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  return rels.map((rel) => {
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const file = parse(projectDir, rel);
    const modules = [...(file?.importedModules ?? [])];
    const django = modules.find((m) => m === 'django' || m.startsWith('django.'));
    const flask = modules.find((m) => /^(flask|flask_script|flask_migrate|click)(\.|$)/.test(m));
    if (django || (file && file.src.includes(SETTINGS_VAR))) return { rel, dir, kind: 'django', evidence: django ? `imports ${django}` : `sets ${SETTINGS_VAR}` };
    if (flask) return { rel, dir, kind: 'flask', evidence: `imports ${flask}` };
    return { rel, dir, kind: 'other' };
  });
}

/** The manage.py that makes this a Django project: one that runs Django, or any manage.py when Django is a dependency. */
export function djangoManage(projectDir: string, dependencies: string[] | undefined): ManagePy | undefined {
  const found = findManagePy(projectDir);
  return found.find((m) => m.kind === 'django') ?? (dependencies?.includes('django') ? found.find((m) => m.kind === 'other') : undefined);
}

/** `backend/mysite/wsgi.py` with Django in backend/ -> mysite.wsgi; files outside that folder -> undefined. */
function moduleUnder(rel: string, dir: string): string | undefined {
  if (dir === '') return moduleName(rel);
  return rel.startsWith(`${dir}/`) ? moduleName(rel.slice(dir.length + 1)) : undefined;
}

/** Django facts and defaults, or undefined when the project is not a Django project (no manage.py that runs Django). */
export function detectDjango(projectDir: string, dependencies: string[] | undefined, scan: ScanResult | undefined): DjangoDetection | undefined {
  const found = djangoManage(projectDir, dependencies);
  if (!found) return undefined;
  const notes: string[] = [];
  const answers: Partial<Answers> = { framework: 'django', server: 'gunicorn' };
  const facts: DjangoFacts = { whitenoise: dependencies?.includes('whitenoise') ?? false, settingsEnv: [], dir: found.dir };
  if (found.dir) {
    answers.djangoDir = found.dir;
    answers.pythonPath = found.dir;
    notes.push(`Django lives in ${found.dir}/: manage.py runs as \`python ${found.rel}\`, PYTHONPATH=/app/${found.dir}`);
  }

  const manage = parse(projectDir, found.rel);
  const pyFiles = projectPythonFiles(projectDir);
  const apps: { kind: 'wsgi' | 'asgi'; module: string; attribute: string; settings?: string }[] = [];
  for (const rel of pyFiles.filter((f) => /(^|\/)(wsgi|asgi)\.py$/.test(f))) {
    const module = moduleUnder(rel, found.dir);
    const file = module === undefined ? undefined : parse(projectDir, rel);
    if (!file || module === undefined) continue;
    const kind = rel.endsWith('asgi.py') ? 'asgi' : 'wsgi';
    const attribute = applicationIn(file, kind === 'wsgi' ? 'get_wsgi_application' : 'get_asgi_application');
    if (attribute) apps.push({ kind, module, attribute, settings: settingsModuleIn(file) });
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
    facts.problem = `${found.rel} runs Django (it ${found.evidence}) but Django is not in the dependencies${dependencies ? '' : ' (no requirements.txt or pyproject.toml was found)'}: add Django (e.g. "Django>=4.2,<5") to the dependency file the image installs`;
  } else if (!facts.settingsModule) {
    facts.problem = `manage.py does not set ${SETTINGS_VAR} (os.environ.setdefault("${SETTINGS_VAR}", "mysite.settings")): add it so the image can run manage.py`;
  } else {
    facts.settingsFile = settingsFileOf(projectDir, facts.settingsModule, found.dir);
    if (!facts.settingsFile) {
      const path = (found.dir ? `${found.dir}/` : '') + facts.settingsModule.split('.').join('/');
      facts.problem = `manage.py names the settings module ${facts.settingsModule}, but neither ${path}.py nor ${path}/__init__.py exists: fix ${SETTINGS_VAR} in manage.py`;
    }
  }
  notes.push(`Django: ${found.rel}` + (facts.settingsModule ? `, settings ${facts.settingsModule}` + (facts.settingsFile ? ` (${facts.settingsFile})` : ' (not found)') : ''));

  if (facts.wsgi) {
    answers.appModule = facts.wsgi;
    notes.push(`WSGI application ${facts.wsgi}: served by gunicorn` + (facts.asgi ? ` (ASGI ${facts.asgi}: --server uvicorn --app ${facts.asgi})` : ''));
  } else if (facts.asgi) {
    answers.appModule = facts.asgi;
    answers.server = 'uvicorn';
    notes.push(`ASGI application ${facts.asgi}: served by uvicorn`);
  }
  answers.migrations = 'django';
  notes.push(`migrations run with \`python ${found.rel} migrate --noinput\` as the one-shot migrate service`);
  const readers = ['dj-database-url', 'django-environ', 'python-decouple'].filter((d) => dependencies?.includes(d));
  if (readers.length > 0) notes.push(`settings read with ${readers.join(', ')}`);

  facts.switch = facts.settingsFile ? readSwitch(projectDir, facts.settingsFile) : undefined;
  if (facts.settingsFile && /whitenoise\.middleware\.WhiteNoiseMiddleware/.test(readFileSync(join(projectDir, facts.settingsFile), 'utf8'))) facts.whitenoiseMiddleware = true;
  const sw = facts.switch;
  if (sw?.debug && debugWith(sw, new Map()) === true) {
    const on = productionOn(sw, new Map());
    if (on) notes.push(`the settings switch production on by ${on.name} (${sw.file}:${sw.debug.line}: ${sw.debug.source}): --env ${on.name}=${on.value} turns it on`);
  }
  if (scan) {
    const staticRoot = scan.writablePaths.find((w) => w.setting === 'STATIC_ROOT');
    if (staticRoot && (staticRoot.base === 'project' || staticRoot.base === 'cwd' || staticRoot.base === 'absolute')) {
      facts.staticRoot = staticRoot.base === 'absolute' ? posix.normalize(staticRoot.path) : posix.normalize(posix.join('/app', staticRoot.path));
      answers.collectStatic = true;
      notes.push(
        `STATIC_ROOT ${facts.staticRoot} (${staticRoot.file}:${staticRoot.line}` +
          (sw?.staticRootUnder ? `, only under \`${sw.staticRootUnder.condition}\`): the build imports the settings with the app's environment and runs collectstatic only when they set it; ` : '): collectstatic runs at build time; ') +
          (facts.whitenoise ? 'WhiteNoise serves it' : 'no WhiteNoise: serve it from a reverse proxy (README.Docker.md)'),
      );
    } else if (!staticRoot) {
      notes.push('no STATIC_ROOT in the settings: collectstatic is skipped (set STATIC_ROOT, then --collectstatic)');
    }
    facts.settingsEnv = settingsEnv(projectDir, scan);
    for (const { name, raw } of facts.settingsEnv) {
      if (raw) {
        notes.push(
          `${name} is left unset: ${raw.source} (${raw.where}) hands ${raw.setting} the variable's text, and Django wants a list there ` +
            `("${raw.setting} setting must be a list or a tuple"); read it with env.list("${name}") or .split(",") to set it`,
        );
      }
    }
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
    if (a.djangoDir) throw new AnswerError('django-dir', 'names the folder of manage.py: use it with --framework django');
  }
}

/** The value the stack gives a Django setting read from the environment, or undefined for other names. */
export function djangoWiring(name: string, a: Partial<Answers>, facts: DjangoFacts | undefined): string | undefined {
  const setting = facts?.settingsEnv.find((s) => s.name === name);
  if (!setting || setting.raw) return undefined;
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
