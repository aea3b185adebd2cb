/**
 * Small helpers over @lezer/python's concrete syntax tree: node text, dotted names resolved through
 * the file's imports, call arguments and string literal values. Lezer does no name resolution, so
 * `PyFile.canonical` does the little that scanning needs: `from os import environ as E` makes
 * `E.get` read as `os.environ.get`, and `env = environ.Env()` makes `env.str` read as `environ.Env().str`.
 */
import { parser } from '@lezer/python';

export type Tree = ReturnType<typeof parser.parse>;
export type PyNode = Tree['topNode'];

/** The node's children, punctuation included (lezer keeps `(`, `,`, `=` as nodes). */
export function children(node: PyNode): PyNode[] {
  const out: PyNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

/** Ancestors from the parent up to the Script. */
export function* ancestors(node: PyNode): Generator<PyNode> {
  for (let up = node.parent; up; up = up.parent) yield up;
}

/** True when the node or one of its descendants passes the test. */
export function someDescendant(node: PyNode, test: (n: PyNode) => boolean): boolean {
  const cursor = node.cursor();
  do {
    if (test(cursor.node)) return true;
  } while (cursor.next() && cursor.from < node.to);
  return false;
}

export interface Args {
  positional: PyNode[];
  keywords: Map<string, PyNode>;
}

const PUNCTUATION = new Set(['(', ')', ',', '*', '**', 'for', 'in', 'if']);

export class PyFile {
  readonly tree: Tree;
  /** Local name -> dotted origin: `import os as o` gives o -> os, `from os import getenv` gives getenv -> os.getenv. */
  readonly imports = new Map<string, string>();
  /** Modules imported (absolute, relative ones resolved against this file's package). */
  readonly importedModules = new Set<string>();
  /** Modules of `from m import *`. */
  readonly starImports: string[] = [];
  /** `name = <dotted or call>` anywhere in the file, first one wins: env = os.environ, env = environ.Env(). */
  private readonly aliases = new Map<string, string>();
  /** `NAME = value` anywhere in the file, first one wins, for following a path to its definition. */
  readonly assignments = new Map<string, PyNode>();
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly rel: string,
    /** Import name: flaskr/__init__.py -> flaskr, src/pkg/web.py -> pkg.web. */
    readonly module: string,
    readonly src: string,
  ) {
    for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.tree = parser.parse(src);
    const assigns: PyNode[] = [];
    this.tree.iterate({
      enter: (ref) => {
        if (ref.name === 'ImportStatement') this.addImport(ref.node);
        else if (ref.name === 'AssignStatement') assigns.push(ref.node);
      },
    });
    for (const node of assigns) {
      const [target, value] = assignParts(node);
      if (target?.name !== 'VariableName' || !value) continue;
      const name = this.text(target);
      if (!this.assignments.has(name)) this.assignments.set(name, value);
      const origin = this.dotted(value);
      if (origin !== undefined && origin !== name && !this.aliases.has(name)) this.aliases.set(name, this.canonical(origin)!);
    }
  }

  text(node: PyNode): string {
    return this.src.slice(node.from, node.to);
  }

  /** 1-based line of the node's start. */
  line(node: PyNode): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= node.from) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** `a.b.c` for names and attribute chains, `f()` for a call: `environ.Env()`; undefined for anything else. */
  dotted(node: PyNode): string | undefined {
    if (node.name === 'VariableName') return this.text(node);
    if (node.name === 'MemberExpression') {
      const [object, dot, property] = children(node);
      if (!object || dot?.name !== '.' || property?.name !== 'PropertyName') return undefined;
      const base = this.dotted(object);
      return base === undefined ? undefined : `${base}.${this.text(property)}`;
    }
    if (node.name === 'CallExpression') {
      const base = node.firstChild && this.dotted(node.firstChild);
      return base === undefined ? undefined : `${base}()`;
    }
    return undefined;
  }

  /** A dotted name with its first part replaced by what it was imported or assigned as. */
  canonical(dotted: string | undefined): string | undefined {
    if (dotted === undefined) return undefined;
    const dot = dotted.search(/[.(]/);
    const head = dot === -1 ? dotted : dotted.slice(0, dot);
    const origin = this.imports.get(head) ?? this.aliases.get(head);
    return origin === undefined ? dotted : origin + dotted.slice(head.length);
  }

  /** Canonical dotted name of what a call calls: `os.environ.get`, `flask.Flask`, `environ.Env().str`. */
  callee(call: PyNode): string | undefined {
    return call.firstChild ? this.canonical(this.dotted(call.firstChild)) : undefined;
  }

  args(call: PyNode): Args {
    const list = call.getChild('ArgList');
    const args: Args = { positional: [], keywords: new Map() };
    if (!list) return args;
    const parts = children(list);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.name === '*' || part.name === '**') {
        i++; // *args / **kwargs: nothing literal to read
      } else if (part.name === 'VariableName' && parts[i + 1]?.name === 'AssignOp' && parts[i + 2]) {
        args.keywords.set(this.text(part), parts[i + 2]!);
        i += 2;
      } else if (!PUNCTUATION.has(part.name) && part.name !== 'Comment') {
        args.positional.push(part);
      }
    }
    return args;
  }

  /** The value of a plain string literal ('x', r"x", """x""", "a" "b"); undefined for f-strings, bytes, anything else. */
  stringValue(node: PyNode | undefined): string | undefined {
    if (!node) return undefined;
    if (node.name === 'ContinuedString') {
      const parts = children(node).map((part) => this.stringValue(part));
      return parts.every((part) => part !== undefined) ? parts.join('') : undefined;
    }
    if (node.name !== 'String') return undefined;
    const raw = this.text(node);
    const quoteAt = raw.search(/['"]/);
    const prefix = raw.slice(0, quoteAt).toLowerCase();
    if (prefix.includes('b') || prefix.includes('f')) return undefined;
    const quote = raw.startsWith('"""', quoteAt) || raw.startsWith("'''", quoteAt) ? raw.slice(quoteAt, quoteAt + 3) : raw[quoteAt]!;
    const body = raw.slice(quoteAt + quote.length, raw.length - quote.length);
    if (prefix.includes('r')) return body;
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '\n': '' };
    return body.replace(/\\(.)/gs, (whole, char: string) => escapes[char] ?? whole);
  }

  /** A literal's value as text for a default: strings, numbers, True/False; undefined for None and expressions. */
  literalText(node: PyNode | undefined): string | undefined {
    if (!node) return undefined;
    if (node.name === 'Number' || node.name === 'Boolean') return this.text(node);
    if (node.name === 'UnaryExpression' && node.lastChild?.name === 'Number') return this.text(node).replace(/\s+/g, '');
    return this.stringValue(node);
  }

  private addImport(node: PyNode): void {
    const parts = children(node);
    if (parts[0]?.name === 'from') {
      let dots = 0;
      const path: string[] = [];
      let i = 1;
      for (; i < parts.length && parts[i]!.name !== 'import'; i++) {
        const part = parts[i]!;
        // leading dots make the import relative; dots after a name separate its parts (from a.b import c)
        if (part.name === '.' && path.length === 0) dots++;
        else if (part.name === 'Ellipsis' && path.length === 0) dots += 3;
        else if (part.name === 'VariableName') path.push(this.text(part));
      }
      const from = this.absoluteModule(dots, path.join('.'));
      if (from === undefined) return;
      this.importedModules.add(from);
      for (i++; i < parts.length; i++) {
        const part = parts[i]!;
        if (part.name === '*') this.starImports.push(from);
        if (part.name !== 'VariableName') continue;
        const name = this.text(part);
        const alias = parts[i + 1]?.name === 'as' && parts[i + 2] ? this.text(parts[i + 2]!) : name;
        if (alias !== name) i += 2;
        this.imports.set(alias, `${from}.${name}`);
        this.importedModules.add(`${from}.${name}`);
      }
      return;
    }
    // import a.b.c [as d], e
    let path: string[] = [];
    for (let i = 1; i <= parts.length; i++) {
      const part = parts[i];
      if (part?.name === 'VariableName') path.push(this.text(part));
      else if (part?.name === 'as' && parts[i + 1]) {
        this.imports.set(this.text(parts[i + 1]!), path.join('.'));
        this.importedModules.add(path.join('.'));
        path = [];
        i++;
      } else if ((part === undefined || part.name === ',') && path.length > 0) {
        this.imports.set(path[0]!, path[0]!);
        this.importedModules.add(path.join('.'));
        path = [];
      }
    }
  }

  /** `from ..x import y` in pkg/sub/mod.py -> pkg.x. */
  private absoluteModule(dots: number, path: string): string | undefined {
    if (dots === 0) return path;
    const isPackage = /(^|\/)__init__\.py$/.test(this.rel);
    const base = this.module.split('.');
    const keep = base.length - (isPackage ? dots - 1 : dots);
    if (keep < 0) return undefined;
    return [...base.slice(0, keep), ...(path ? [path] : [])].join('.');
  }
}

/** `target = value` / `target: T = value` -> [target, value]; value undefined for a bare annotation. */
export function assignParts(node: PyNode): [PyNode | undefined, PyNode | undefined] {
  const parts = children(node);
  const op = parts.findIndex((part) => part.name === 'AssignOp');
  // `a, b = ...` has no single target
  const target = parts[1]?.name === 'AssignOp' || parts[1]?.name === 'TypeDef' ? parts[0] : undefined;
  return [target, op === -1 ? undefined : parts[parts.length - 1]];
}

/** True when the statement sits at module level or directly in a class body (not inside a function). */
export function atModuleOrClassLevel(statement: PyNode): boolean {
  for (const up of ancestors(statement)) {
    if (up.name === 'FunctionDefinition') return false;
    if (up.name === 'Script') return true;
  }
  return true;
}
