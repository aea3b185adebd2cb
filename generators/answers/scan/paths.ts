/**
 * Follows a Python path expression as far as it is plain: literals, `__file__`, os.path.join/dirname/abspath,
 * pathlib's `/`, `.parent`, `.parents[n]`, `.resolve()`, django-environ's `environ.Path(__file__) - 2`,
 * `app.instance_path`, `app.config["KEY"]` set elsewhere, `os.getcwd()`, `os.environ.get("X", "default")` (and
 * django-environ's / decouple's default=), and names assigned in the same file
 * or imported from another module of the project. Anything else is 'unknown'.
 */
import { children, type PyFile, type PyNode } from './python.js';

export type PathBase = 'absolute' | 'project' | 'instance' | 'cwd' | 'unknown';

export interface ResolvedPath {
  /** absolute: `path` is absolute; project: relative to the project root; instance: relative to Flask's
   *  instance folder; cwd: a relative literal, so relative to the working directory at run time. */
  base: PathBase;
  /** POSIX path, '.' for the base itself, '' when unknown. */
  path: string;
  /** The environment variable that overrides the value, when it is `os.environ.get("X", default)`. */
  env?: string;
}

interface Loc {
  base: PathBase;
  parts: string[];
  env?: string;
}

const UNKNOWN: Loc = { base: 'unknown', parts: [] };
const PASS_THROUGH = new Set(['os.path.abspath', 'os.path.realpath', 'os.path.normpath', 'os.fspath', 'str', 'pathlib.Path', 'pathlib.PurePath', 'pathlib.PosixPath', 'Path', 'environ.Path']);
const CWD_CALLS = new Set(['os.getcwd', 'pathlib.Path.cwd', 'Path.cwd']);
const ENV_GETS = new Set(['os.environ.get', 'os.getenv']);

/** Finds what a dotted import (`config.BASE_DIR`) names in another file of the project. */
export type DefinitionLookup = (dotted: string) => { file: PyFile; node: PyNode } | undefined;

/** The base of `loc` with `parts` normalised ('.' dropped, '..' applied); above the base is unknown. */
function withParts(loc: Loc, parts: string[]): Loc {
  if (loc.base === 'unknown') return loc;
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part !== '..') out.push(part);
    else if (out.length > 0) out.pop();
    else if (loc.base === 'absolute') continue;
    else return { ...UNKNOWN, env: loc.env };
  }
  return { base: loc.base, parts: out, env: loc.env };
}

export class PathResolver {
  constructor(
    private readonly lookup: DefinitionLookup,
    /** What the project sets `app.config["KEY"]` to (from_mapping, update, assignment), for `current_app.config["KEY"]`. */
    private readonly configValue: (key: string) => { file: PyFile; node: PyNode } | undefined = () => undefined,
  ) {}

  resolve(file: PyFile, node: PyNode): ResolvedPath {
    const loc = this.loc(file, node, 0);
    const path = loc.base === 'unknown' ? '' : loc.base === 'absolute' ? `/${loc.parts.join('/')}` : loc.parts.join('/') || '.';
    return { base: loc.base, path, ...(loc.env ? { env: loc.env } : {}) };
  }

  private loc(file: PyFile, node: PyNode, depth: number): Loc {
    if (depth > 12) return UNKNOWN;
    const next = (n: PyNode | undefined | null, f: PyFile = file): Loc => (n ? this.loc(f, n, depth + 1) : UNKNOWN);
    switch (node.name) {
      case 'String':
      case 'ContinuedString': {
        const value = file.stringValue(node);
        if (value === undefined || value.startsWith('~')) return UNKNOWN;
        return withParts({ base: value.startsWith('/') ? 'absolute' : 'cwd', parts: [] }, value.split('/'));
      }
      case 'VariableName': {
        const name = file.text(node);
        if (name === '__file__') return withParts({ base: 'project', parts: [] }, file.rel.split('/'));
        const local = file.assignments.get(name);
        if (local) return next(local);
        const imported = file.imports.get(name);
        const candidates = imported === undefined ? file.starImports.map((module) => `${module}.${name}`) : [imported];
        for (const dotted of candidates) {
          const definition = this.lookup(dotted);
          if (definition) return next(definition.node, definition.file);
        }
        return UNKNOWN;
      }
      case 'ParenthesizedExpression':
        return next(children(node)[1]);
      case 'CallExpression':
        return this.call(file, node, next);
      case 'MemberExpression': {
        const [object, punct, key] = children(node);
        if (!object || !key) return UNKNOWN;
        if (punct?.name === '.') {
          const property = file.text(key);
          if (property === 'parent') return this.up(next(object), 1);
          if (property === 'instance_path') return { base: 'instance', parts: [] };
          if (property === 'root_path') return withParts({ base: 'project', parts: [] }, file.rel.split('/').slice(0, -1));
          return UNKNOWN;
        }
        // current_app.config["DATABASE"]
        const configKey = punct?.name === '[' ? file.stringValue(key) : undefined;
        if (configKey !== undefined && /(^|\.)config$/.test(file.dotted(object) ?? '')) {
          const set = this.configValue(configKey);
          return set ? next(set.node, set.file) : UNKNOWN;
        }
        // X.parents[n]
        const [owner, dot, parents] = children(object);
        if (punct?.name === '[' && key.name === 'Number' && dot?.name === '.' && parents && file.text(parents) === 'parents') {
          return this.up(next(owner), Number(file.text(key)) + 1);
        }
        return UNKNOWN;
      }
      case 'BinaryExpression': {
        const [left, op, right] = children(node);
        if (!left || !op || !right) return UNKNOWN;
        const operator = file.text(op);
        if (operator === '/') return this.join(file, next(left), [right], next);
        // django-environ: environ.Path(__file__) - 3 drops three trailing parts
        if (operator === '-' && right.name === 'Number' && left.name === 'CallExpression' && file.callee(left) === 'environ.Path') {
          return this.up(next(left), Number(file.text(right)));
        }
        return UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  private call(file: PyFile, node: PyNode, next: (n: PyNode | undefined | null) => Loc): Loc {
    const calleeNode = node.firstChild;
    const args = file.args(node);
    // Path(...).resolve() / .absolute() / .joinpath("a")
    if (calleeNode?.name === 'MemberExpression') {
      const [receiver, dot, property] = children(calleeNode);
      const method = property && dot?.name === '.' ? file.text(property) : '';
      if (method === 'resolve' || method === 'absolute') return next(receiver);
      if (method === 'joinpath') return this.join(file, next(receiver), args.positional, next);
    }
    const callee = file.callee(node) ?? '';
    if (PASS_THROUGH.has(callee)) {
      const [first, ...rest] = args.positional;
      if (!first) return callee.endsWith('Path') ? { base: 'cwd', parts: [] } : UNKNOWN;
      return this.join(file, next(first), rest, next);
    }
    if (callee === 'os.path.dirname') return this.up(next(args.positional[0]), 1);
    if (callee === 'os.path.join') {
      const [first, ...rest] = args.positional;
      return first ? this.join(file, next(first), rest, next) : UNKNOWN;
    }
    if (CWD_CALLS.has(callee)) return { base: 'cwd', parts: [] };
    // os.environ.get("X", d) / os.getenv("X", d) / env.str("X", default=d) / config("X", default=d)
    if (ENV_GETS.has(callee) || callee.startsWith('environ.Env()') || callee === 'decouple.config') {
      const env = file.stringValue(args.positional[0]);
      const fallback = args.keywords.get('default') ?? (ENV_GETS.has(callee) ? args.positional[1] : undefined);
      const loc = fallback ? next(fallback) : UNKNOWN;
      return env === undefined ? loc : { ...loc, env };
    }
    return UNKNOWN;
  }

  /** Appends segments; a later absolute literal replaces the base, as os.path.join and pathlib do. */
  private join(file: PyFile, base: Loc, segments: PyNode[], next: (n: PyNode) => Loc): Loc {
    let loc = base;
    for (const segment of segments) {
      const value = file.stringValue(segment);
      if (value !== undefined) {
        loc = value.startsWith('/') ? withParts({ base: 'absolute', parts: [] }, value.split('/')) : withParts(loc, [...loc.parts, ...value.split('/')]);
        continue;
      }
      const part = next(segment);
      if (part.base === 'absolute') loc = part;
      else if (part.base === 'cwd') loc = withParts(loc, [...loc.parts, ...part.parts]);
      else return UNKNOWN;
    }
    return loc;
  }

  private up(loc: Loc, levels: number): Loc {
    return withParts(loc, [...loc.parts, ...Array<string>(levels).fill('..')]);
  }
}
