/**
 * Reads a Python project with a parser (@lezer/python) and returns facts for detection: the environment
 * variables it reads, its Flask and Celery apps, sqlite URLs, writable folders and queue libraries.
 * Pure apart from reading files; nothing here decides an answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importable, moduleName, projectPythonFiles } from './files.js';
import { PathResolver, type DefinitionLookup, type PathBase, type ResolvedPath } from './paths.js';
import { ancestors, assignParts, atModuleOrClassLevel, children, PyFile, someDescendant, type PyNode } from './python.js';
import { dictEntries, settingsConfig, settingsFieldReads, type EnvRead } from './settings-class.js';

export { readProjectDotenv, type DotenvFile } from './dotenv.js';
export type { PathBase, ResolvedPath } from './paths.js';
/** The same walk and module naming detect.ts's pythonFiles/moduleName do: detect can use these instead. */
export { importable, moduleName, projectPythonFiles } from './files.js';

export type { EnvRead };

export interface ScanResult {
  /** One per name, the strongest read (required, then one with a default, then the first), sorted by name. */
  envReads: EnvRead[];
  /** `app.config.from_prefixed_env()` calls and their prefix (default FLASK). */
  prefixedEnv: { prefix: string; file: string; line: number }[];
  /** Every Flask(...) construction. usesInstance: instance_relative_config=True in the call, or the project
   *  touches `.instance_path` anywhere (os.makedirs(app.instance_path), os.path.join(app.instance_path, ...)). */
  flaskApps: { module: string; file: string; line: number; usesInstance: boolean }[];
  /** sqlite database locations: URL literals (sqlite:///rel.db, sqlite:////abs.db), 'sqlite:///' + path and
   *  f"sqlite:///{path}" with the path followed, Django DATABASES entries with the sqlite3 engine, and
   *  sqlite3.connect(path) (also through app.config["DATABASE"] set elsewhere in the project).
   *  `url` is the literal, or the scheme ('sqlite:///', or 'sqlite3.connect:') + the path, written
   *  '{project}/app.db' / '{instance}/app.db' / '{unknown}/' when it was followed to a base.
   *  `absolute` is base === 'absolute'. In-memory databases are left out. */
  sqliteUrls: { url: string; path: string; absolute: boolean; base: PathBase; file: string; line: number }[];
  /** Writable-folder settings (UPLOAD_FOLDER, UPLOAD_DIR, MEDIA_ROOT, STATIC_ROOT, ...UPLOAD..._DEST/_PATH/_ROOT):
   *  module or class constants, config["X"] = ..., config.update(X=...) / from_mapping(X=...).
   *  `source` is the expression as written. */
  writablePaths: { setting: string; base: PathBase; path: string; env?: string; source: string; file: string; line: number }[];
  /** What `celery -A module:attribute` needs: Celery(...) at module level, or a module-level name assigned from
   *  a function that builds a Celery app, or from `flask_app.extensions["celery"]`. */
  celeryApps: { module: string; attribute: string; file: string; line: number }[];
  /** Queue libraries imported: 'arq' | 'dramatiq' | 'rq' (flask_rq2, django_rq and rq_scheduler count as rq). */
  queueLibraries: string[];
  /** Database URL schemes with a driver in string literals: 'postgresql+asyncpg', 'mysql+pymysql', ... sorted. */
  driverSchemes: string[];
}

/** A file that contains none of these cannot hold a fact, so it is not parsed (parsing is most of the time spent). */
const KEYWORDS = ['environ', 'getenv', 'Settings', 'config[', 'config.update', 'config.from_mapping', 'from_prefixed_env', 'decouple', 'starlette.config', 'dotenv', 'Flask', 'sqlite', 'pload', 'PLOAD', 'MEDIA_ROOT', 'STATIC_ROOT', 'elery', 'rq', 'dramatiq', 'arq', '://', 'instance_path'];
const SETTINGS_BASES = new Set(['pydantic.BaseSettings', 'pydantic_settings.BaseSettings', 'pydantic.env_settings.BaseSettings', 'BaseSettings']);
const QUEUE_MODULES: Record<string, string> = { rq: 'rq', flask_rq2: 'rq', django_rq: 'rq', rq_scheduler: 'rq', dramatiq: 'dramatiq', flask_dramatiq: 'dramatiq', django_dramatiq: 'dramatiq', arq: 'arq' };
const CELERY_FACTORIES = new Set(['make_celery', 'celery_init_app', 'create_celery', 'create_celery_app']);
/** Exceptions whose handler makes os.environ["X"] optional. */
const KEY_ERRORS = new Set(['KeyError', 'LookupError', 'Exception', 'BaseException']);
/** django-environ methods whose variable defaults to a well-known name. */
const DJANGO_ENV_DEFAULT_VARS: Record<string, string> = { db: 'DATABASE_URL', db_url: 'DATABASE_URL', cache: 'CACHE_URL', cache_url: 'CACHE_URL', email: 'EMAIL_URL', email_url: 'EMAIL_URL', search_url: 'SEARCH_URL' };
const DJANGO_ENV_METHODS = new Set(['', 'str', 'bytes', 'bool', 'int', 'float', 'decimal', 'json', 'list', 'tuple', 'dict', 'url', 'path', ...Object.keys(DJANGO_ENV_DEFAULT_VARS)]);

function isWritableSetting(name: string): boolean {
  return /^(MEDIA|STATIC)_ROOT$/i.test(name) || (/UPLOAD/i.test(name) && /(FOLDER|DIR|DIRECTORY|DEST|PATH|ROOT|LOCATION)$/i.test(name));
}

interface SettingsClass {
  name: string;
  bases: string[];
  file: PyFile;
  node: PyNode;
}

/** The project's files, parsed on first use, and lookups of a module's top-level names across files. */
class Project {
  readonly files: string[];
  private readonly byModule = new Map<string, string>();
  private readonly parsed = new Map<string, PyFile>();

  constructor(readonly dir: string) {
    this.files = projectPythonFiles(dir);
    for (const rel of this.files) this.byModule.set(moduleName(rel), rel);
  }

  /** The file's text; '' when it cannot be read (a broken symlink, no permission): it then holds no fact. */
  source(rel: string): string {
    try {
      return readFileSync(join(this.dir, rel), 'utf8');
    } catch {
      return '';
    }
  }

  file(rel: string, src?: string): PyFile {
    let file = this.parsed.get(rel);
    if (!file) {
      file = new PyFile(rel, moduleName(rel), src ?? this.source(rel));
      this.parsed.set(rel, file);
    }
    return file;
  }

  /** `config.BASE_DIR` -> the value assigned to BASE_DIR in config.py. */
  readonly lookup = (dotted: string) => {
    const dot = dotted.lastIndexOf('.');
    const rel = dot === -1 ? undefined : this.byModule.get(dotted.slice(0, dot));
    if (rel === undefined) return undefined;
    const file = this.file(rel);
    const node = file.assignments.get(dotted.slice(dot + 1));
    return node ? { file, node } : undefined;
  };
}

/** Facts gathered file by file, finished once every file is read. */
class Scan {
  readonly envReads: EnvRead[] = [];
  readonly result: ScanResult = { envReads: [], prefixedEnv: [], flaskApps: [], sqliteUrls: [], writablePaths: [], celeryApps: [], queueLibraries: [], driverSchemes: [] };
  readonly settingsClasses: SettingsClass[] = [];
  readonly celeryFactories = new Set(CELERY_FACTORIES);
  readonly moduleAssignments: { file: PyFile; name: string; value: PyNode; line: number }[] = [];
  readonly queueLibraries = new Set<string>();
  /** config["KEY"] values set anywhere (first wins), and sqlite3.connect(...) calls resolved once they are known. */
  readonly configValues = new Map<string, { file: PyFile; node: PyNode }>();
  private readonly sqliteConnects: { file: PyFile; node: PyNode }[] = [];
  readonly driverSchemes = new Set<string>();
  touchesInstance = false;

  readonly resolver: PathResolver;

  constructor(lookup: DefinitionLookup) {
    this.resolver = new PathResolver(lookup, (key) => this.configValues.get(key));
  }

  file(file: PyFile): void {
    const calls: PyNode[] = [];
    const subscripts: PyNode[] = [];
    const strings: PyNode[] = [];
    const assigns: PyNode[] = [];
    const dicts: PyNode[] = [];
    file.tree.iterate({
      enter: (ref) => {
        switch (ref.name) {
          case 'CallExpression':
            calls.push(ref.node);
            break;
          case 'MemberExpression': {
            const second = ref.node.firstChild?.nextSibling;
            const property = second?.nextSibling;
            if (second?.name === '[') subscripts.push(ref.node);
            else if (property?.name === 'PropertyName' && file.text(property) === 'instance_path') this.touchesInstance = true;
            break;
          }
          case 'String':
            if (ref.node.parent?.name !== 'ContinuedString') strings.push(ref.node);
            return false;
          case 'FormatString': // its replacements may read the environment: f"{os.environ['DBUSER']}"
          case 'ContinuedString':
            strings.push(ref.node);
            break;
          case 'AssignStatement':
            assigns.push(ref.node);
            break;
          case 'DictionaryExpression':
            dicts.push(ref.node);
            break;
          case 'ClassDefinition':
            this.settingsClass(file, ref.node);
            break;
        }
        return undefined;
      },
    });
    for (const module of file.importedModules) {
      const library = QUEUE_MODULES[module.split('.')[0]!];
      if (library) this.queueLibraries.add(library);
    }
    const configSets: { key: string; value: PyNode; line: number }[] = [];
    const prefixes: string[] = [];
    for (const node of subscripts) this.environSubscript(file, node);
    for (const node of calls) this.call(file, node, configSets, prefixes);
    for (const node of assigns) this.assign(file, node, configSets);
    for (const node of strings) this.string(file, node);
    for (const node of dicts) this.djangoSqlite(file, node);
    for (const set of configSets) {
      if (!this.configValues.has(set.key)) this.configValues.set(set.key, { file, node: set.value });
      if (isWritableSetting(set.key)) this.writable(file, set.key, set.value);
      for (const prefix of prefixes) {
        // Flask sets a key of a dict value from PREFIX_KEY__subkey (case kept)
        const nested = dictEntries(file, set.value);
        const names = nested.length > 0 ? nested.map((entry) => ({ ...entry, key: `${set.key}__${entry.key}` })) : [set];
        for (const { key, value, line } of names) {
          const fallback = file.literalText(value);
          this.envReads.push({ name: `${prefix}_${key}`, file: file.rel, line, how: 'prefixed-env', required: false, ...(fallback !== undefined ? { default: fallback } : {}) });
        }
      }
    }
  }

  private read(file: PyFile, node: PyNode, name: string | undefined, how: EnvRead['how'], required: boolean, fallback?: PyNode): void {
    if (name === undefined || name === '') return; // built at run time: nothing to report
    const value = file.literalText(fallback);
    this.envReads.push({ name, file: file.rel, line: file.line(node), how, required, ...(value !== undefined ? { default: value } : {}) });
  }

  /** os.environ["X"] read (not written or deleted), required unless guarded; dotenv_values(".env")["X"] too. */
  private environSubscript(file: PyFile, node: PyNode): void {
    const [object, , key] = children(node);
    const origin = object && file.canonical(file.dotted(object));
    if (origin !== 'os.environ' && origin !== 'dotenv.dotenv_values()') return;
    const parent = node.parent;
    if (parent?.name === 'AssignStatement' && node.to <= (parent.getChild('AssignOp')?.from ?? -1)) return;
    if (parent?.name === 'DeleteStatement') return;
    const name = file.stringValue(key);
    this.read(file, node, name, origin === 'os.environ' ? 'environ[]' : 'dotenv-file', name !== undefined && !guarded(file, node, name));
  }

  private call(file: PyFile, node: PyNode, configSets: { key: string; value: PyNode; line: number }[], prefixes: string[]): void {
    const callee = file.callee(node);
    if (callee === undefined) return;
    const args = file.args(node);
    const [first, second, third] = args.positional;
    const raw = file.dotted(node.firstChild!) ?? '';
    if (callee === 'os.environ.get' || callee === 'os.getenv') {
      this.read(file, node, file.stringValue(first), callee === 'os.getenv' ? 'getenv' : 'environ.get', false, second ?? args.keywords.get('default') ?? orFallback(file, node));
    } else if (callee === 'dotenv.dotenv_values().get') {
      this.read(file, node, file.stringValue(first), 'dotenv-file', false, second ?? args.keywords.get('default') ?? orFallback(file, node));
    } else if (callee === 'decouple.config' || callee === 'decouple.AutoConfig()' || callee === 'decouple.Config()' || callee === 'starlette.config.Config()') {
      // decouple: config(name, default, cast); starlette: config(name, cast, default)
      const fallback = args.keywords.get('default') ?? (callee.startsWith('starlette') ? third : second);
      this.read(file, node, file.stringValue(first), 'config-from-env', !fallback, fallback);
    } else if (callee === 'dj_database_url.config') {
      // dj-database-url reads DATABASE_URL (or env=...) itself; without it and without a default, DATABASES is empty.
      const fallback = args.keywords.get('default');
      this.read(file, node, file.stringValue(args.keywords.get('env')) ?? 'DATABASE_URL', 'config-from-env', false, fallback);
    } else if (callee.startsWith('environ.Env()')) {
      this.djangoEnv(file, node, callee.slice('environ.Env()'.length).replace(/^\./, ''));
    } else if (callee === 'flask.Flask' || callee === 'Flask') {
      const relative = args.keywords.get('instance_relative_config');
      this.result.flaskApps.push({ module: file.module, file: file.rel, line: file.line(node), usesInstance: relative !== undefined && file.text(relative) === 'True' });
    } else if (callee === 'celery.Celery' || callee === 'Celery') {
      this.celery(file, node);
    } else if (callee === 'sqlite3.connect' && first) {
      this.sqliteConnects.push({ file, node: first });
    } else if (/(^|\.)config\.from_prefixed_env$/.test(raw)) {
      const prefix = file.stringValue(first ?? args.keywords.get('prefix')) ?? 'FLASK';
      prefixes.push(prefix);
      this.result.prefixedEnv.push({ prefix, file: file.rel, line: file.line(node) });
    } else if (/(^|\.)config\.(update|from_mapping)$/.test(raw)) {
      for (const [key, value] of args.keywords) configSets.push({ key, value, line: file.line(value) });
      if (first) configSets.push(...dictEntries(file, first));
    }
  }

  /** env("X"), env.str("X", default=...), env.db() (DATABASE_URL); defaults also come from Env(X=(type, default)). */
  private djangoEnv(file: PyFile, node: PyNode, method: string): void {
    if (!DJANGO_ENV_METHODS.has(method)) return;
    const args = file.args(node);
    const nameNode = args.positional[0] ?? args.keywords.get('var');
    const name = nameNode ? file.stringValue(nameNode) : DJANGO_ENV_DEFAULT_VARS[method];
    // env(var, cast, default) but env.str(var, default)
    const fallback = args.keywords.get('default') ?? args.positional[method === '' ? 2 : 1] ?? (name ? schemeDefault(file, name) : undefined);
    this.read(file, node, name, 'config-from-env', !fallback, fallback);
  }

  private celery(file: PyFile, node: PyNode): void {
    for (const up of ancestors(node)) {
      if (up.name === 'FunctionDefinition') {
        const name = up.getChild('VariableName');
        if (name) this.celeryFactories.add(file.text(name));
        return;
      }
    }
  }

  private assign(file: PyFile, node: PyNode, configSets: { key: string; value: PyNode; line: number }[]): void {
    const [target, value] = assignParts(node);
    if (!target || !value) return;
    if (target.name === 'VariableName') {
      const name = file.text(target);
      if (node.parent?.name === 'Script') this.moduleAssignments.push({ file, name, value, line: file.line(node) });
      if (atModuleOrClassLevel(node) && isWritableSetting(name)) this.writable(file, name, value);
    } else if (target.name === 'MemberExpression') {
      const [object, bracket, key] = children(target);
      const keyValue = file.stringValue(key);
      if (object && bracket?.name === '[' && keyValue !== undefined && /(^|\.)config$/.test(file.dotted(object) ?? '')) {
        configSets.push({ key: keyValue, value, line: file.line(node) });
      }
    }
  }

  private writable(file: PyFile, setting: string, value: PyNode): void {
    const resolved = this.resolver.resolve(file, value);
    const source = file.text(value).replace(/\s+/g, ' ').slice(0, 160);
    this.result.writablePaths.push({ setting, ...resolved, source, file: file.rel, line: file.line(value) });
  }

  /** sqlite URLs and driver schemes in string literals. */
  private string(file: PyFile, node: PyNode): void {
    const line = file.line(node);
    if (node.name === 'FormatString') {
      // f"sqlite:///{path}": follow the one replacement; f"postgresql+asyncpg://{...}": the scheme
      const raw = file.text(node);
      const head = raw.slice(raw.search(/['"]/)).replace(/^('''|"""|'|")/, '');
      this.driverScheme(head);
      const parts = children(node);
      if (/^sqlite(\+\w+)?:\/\/\/\{/.test(head) && parts.length === 1 && parts[0]!.name === 'FormatReplacement') {
        const expression = children(parts[0]!).find((part) => part.name !== '{' && part.name !== '}');
        if (expression) this.sqlite(file, head.slice(0, head.indexOf('{')), this.resolver.resolve(file, expression), line);
      }
      return;
    }
    const value = file.stringValue(node);
    if (value === undefined) return;
    this.driverScheme(value);
    const url = /^(sqlite(?:\+\w+)?:\/\/\/)(.*)$/s.exec(value);
    if (!url) return;
    if (url[2] !== '') {
      const path = url[2]!;
      this.sqlite(file, url[1]!, { base: path.startsWith('/') ? 'absolute' : 'cwd', path: path.replace(/^\.\//, '') }, line, value);
      return;
    }
    // 'sqlite:///' + os.path.join(basedir, 'app.db')
    const parent = node.parent;
    const [left, op, right] = parent ? children(parent) : [];
    if (parent?.name === 'BinaryExpression' && left?.from === node.from && op && file.text(op) === '+' && right) {
      this.sqlite(file, url[1]!, this.resolver.resolve(file, right), line);
    }
  }

  /** `url` is the literal when there is one, else the scheme and the followed path ('{project}/app.db'). */
  private sqlite(file: PyFile, scheme: string, where: ResolvedPath, line: number, literal?: string): void {
    if (where.path.startsWith(':memory:')) return;
    const shown = where.base === 'absolute' || where.base === 'cwd' ? where.path : `{${where.base}}/${where.path}`;
    this.result.sqliteUrls.push({ url: literal ?? `${scheme}${shown}`, path: where.path, absolute: where.base === 'absolute', base: where.base, file: file.rel, line });
  }

  private driverScheme(value: string): void {
    const scheme = /^([a-z][a-z0-9]*\+[a-z0-9_]+):\/\//i.exec(value);
    if (scheme) this.driverSchemes.add(scheme[1]!.toLowerCase());
  }

  /** Django: {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}. */
  private djangoSqlite(file: PyFile, node: PyNode): void {
    const entries = dictEntries(file, node);
    const engine = entries.find((entry) => entry.key === 'ENGINE');
    const name = entries.find((entry) => entry.key === 'NAME');
    if (!engine || !name || file.stringValue(engine.value) !== 'django.db.backends.sqlite3') return;
    this.sqlite(file, 'sqlite:///', this.resolver.resolve(file, name.value), name.line);
  }

  private settingsClass(file: PyFile, node: PyNode): void {
    const name = node.getChild('VariableName');
    const list = node.getChild('ArgList');
    if (!name || !list) return;
    const bases = file.args(node).positional.map((base) => file.canonical(file.dotted(base))).filter((base): base is string => base !== undefined);
    if (bases.length > 0) this.settingsClasses.push({ name: file.text(name), bases, file, node });
  }

  finish(): ScanResult {
    this.settingsFields();
    for (const { file, node } of this.sqliteConnects) this.sqlite(file, 'sqlite3.connect:', this.resolver.resolve(file, node), file.line(node));
    for (const app of this.result.flaskApps) app.usesInstance ||= this.touchesInstance;
    for (const { file, name, value, line } of this.moduleAssignments) {
      if (!importable(file.module)) continue;
      const isCelery =
        (value.name === 'CallExpression' && isCeleryCall(file, value, this.celeryFactories)) ||
        (value.name === 'MemberExpression' && value.firstChild?.nextSibling?.name === '[' && file.stringValue(value.lastChild?.prevSibling ?? undefined) === 'celery' && /\.extensions$/.test(file.dotted(value.firstChild) ?? ''));
      if (isCelery) this.result.celeryApps.push({ module: file.module, attribute: name, file: file.rel, line });
    }
    const best = new Map<string, EnvRead>();
    const strength = (read: EnvRead) => (read.required ? 2 : read.default !== undefined ? 1 : 0);
    for (const read of this.envReads) {
      const kept = best.get(read.name);
      if (!kept || strength(read) > strength(kept)) best.set(read.name, read);
    }
    this.result.envReads = [...best.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.result.queueLibraries = [...this.queueLibraries].sort();
    this.result.driverSchemes = [...this.driverSchemes].sort();
    const byPlace = (a: { file: string; line: number }, b: { file: string; line: number }) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);
    this.result.writablePaths.sort(byPlace);
    this.result.sqliteUrls.sort(byPlace);
    return this.result;
  }

  /** Each annotated field of a BaseSettings subclass (also through the project's own subclasses) is an env read. */
  private settingsFields(): void {
    const byName = new Map<string, SettingsClass[]>();
    for (const cls of this.settingsClasses) byName.set(cls.name, [...(byName.get(cls.name) ?? []), cls]);
    const parents = (cls: SettingsClass) => cls.bases.flatMap((base) => byName.get(base.split('.').pop()!) ?? []).filter((parent) => parent !== cls);
    const isSettings = (cls: SettingsClass, depth = 0): boolean => depth < 8 && cls.bases.some((base) => SETTINGS_BASES.has(base) || parents(cls).some((parent) => isSettings(parent, depth + 1)));
    const config = (cls: SettingsClass, depth = 0): { prefix?: string; caseSensitive?: boolean } => {
      const own = settingsConfig(cls.file, cls.node);
      if (depth >= 8) return own;
      const inherited = parents(cls).map((parent) => config(parent, depth + 1))[0] ?? {};
      return { prefix: own.prefix ?? inherited.prefix, caseSensitive: own.caseSensitive ?? inherited.caseSensitive };
    };
    for (const cls of this.settingsClasses) {
      if (!isSettings(cls)) continue;
      const { prefix = '', caseSensitive = false } = config(cls);
      for (const field of settingsFieldReads(cls.file, cls.node, prefix)) {
        this.envReads.push({ ...field, name: caseSensitive ? field.name : field.name.toUpperCase() });
      }
    }
  }
}

function isCeleryCall(file: PyFile, call: PyNode, factories: Set<string>): boolean {
  const callee = file.callee(call) ?? '';
  return callee === 'celery.Celery' || callee === 'Celery' || factories.has(callee.split('.').pop()!);
}

/** `os.environ.get("X") or "default"` -> the right-hand side. */
function orFallback(file: PyFile, node: PyNode): PyNode | undefined {
  const [left, op, right] = node.parent?.name === 'BinaryExpression' ? children(node.parent) : [];
  return left?.from === node.from && op && file.text(op) === 'or' ? right : undefined;
}


/** Functions that run at start-up: a read in them fails the app at once. */
const STARTUP_FUNCTIONS = new Set(['create_app', 'make_app', 'app_factory', 'create_application', 'get_application', 'main']);

/**
 * True when `node` only runs where X is known to be set, or a missing X is caught, or it sits in a
 * function that is not an app factory (it runs when called, not when the app starts).
 */
function guarded(file: PyFile, node: PyNode, name: string): boolean {
  const mentions = (condition: PyNode) => someDescendant(condition, (n) => n.name === 'String' && file.stringValue(n) === name);
  let child = node;
  for (const up of ancestors(node)) {
    const parts = children(up);
    if (up.name === 'FunctionDefinition') {
      const fn = parts.find((part) => part.name === 'VariableName');
      if (fn && !STARTUP_FUNCTIONS.has(file.text(fn))) return true;
    }
    if (up.name === 'TryStatement' && parts[1]?.from === child.from) {
      // in the try body: look at the except clauses
      for (let i = 0; i < parts.length; i++) {
        if (parts[i]!.name !== 'except') continue;
        const caught = parts[i + 1];
        if (!caught || caught.name === 'Body') return true; // bare except
        if (someDescendant(caught, (n) => (n.name === 'VariableName' || n.name === 'PropertyName') && KEY_ERRORS.has(file.text(n)))) return true;
      }
    } else if (up.name === 'IfStatement' || up.name === 'ConditionalExpression' || up.name === 'WhileStatement') {
      const conditions = parts.filter((part) => part.name !== 'Body' && part !== child && part.from < child.from && !/^(if|elif|else|while)$/.test(part.name));
      if (up.name === 'ConditionalExpression') conditions.push(...parts.filter((part) => part.from > child.to && part.name !== 'else'));
      if (conditions.some(mentions)) return true;
    } else if (up.name === 'BinaryExpression' && parts.some((part) => part.name === 'and' || part.name === 'or')) {
      if (parts.some((part) => part.to <= child.from && mentions(part))) return true;
    }
    child = up;
  }
  return false;
}

/** django-environ's `Env(X=(type, default))` scheme gives X a default. */
function schemeDefault(file: PyFile, name: string): PyNode | undefined {
  for (const value of file.assignments.values()) {
    if (value.name !== 'CallExpression' || file.callee(value) !== 'environ.Env') continue;
    const scheme = file.args(value).keywords.get(name);
    if (scheme?.name !== 'TupleExpression') continue;
    const items = children(scheme).filter((part) => !['(', ')', ','].includes(part.name));
    if (items.length >= 2) return items[1];
  }
  return undefined;
}

export function scanProject(projectDir: string): ScanResult {
  const project = new Project(projectDir);
  const scan = new Scan(project.lookup);
  const skipped: { rel: string; src: string }[] = [];
  for (const rel of project.files) {
    const src = project.source(rel);
    if (KEYWORDS.some((word) => src.includes(word))) scan.file(project.file(rel, src));
    else skipped.push({ rel, src });
  }
  // a file that calls the project's own Celery factory (worker = make_worker()) names no keyword
  for (const { rel, src } of skipped) {
    if ([...scan.celeryFactories].some((name) => src.includes(name))) scan.file(project.file(rel, src));
  }
  return scan.finish();
}
