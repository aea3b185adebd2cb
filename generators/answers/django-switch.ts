/**
 * Django settings that switch production on by an environment variable: `DEBUG = 'RENDER' not in
 * os.environ`, `if 'WEBSITE_HOSTNAME' in os.environ: DEBUG = False`, `if not DEBUG: STATIC_ROOT = ...`.
 * The settings file's module-level statements are evaluated, with the parser, for a given set of
 * variables: enough to say at generation whether DEBUG would be on and which --env turns production
 * on. The truth is the build stage, which imports the settings with the app's environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { children, PyFile, type PyNode } from './scan/python.js';

type Value = string | number | boolean | null | typeof UNKNOWN | Value[];
const UNKNOWN = Symbol('unknown');
const TRUE_WORDS = ['true', 'on', 'ok', 'y', 'yes', '1'];
const ENV_GETS = new Set(['os.environ.get', 'os.getenv']);

export interface SettingsSwitch {
  /** The settings file, relative to the project, and its source (evaluated again for the final answers). */
  file: string;
  src: string;
  /** The last module-level DEBUG assignment, as written. */
  debug?: { line: number; source: string };
  /** STATIC_ROOT assigned only under a condition: the condition as written and its line. */
  staticRootUnder?: { line: number; condition: string };
  /** Variables whose presence or value decides DEBUG (not the DEBUG variables the stack already wires). */
  variables: string[];
}

/** django-environ's `Env(X=(bool, False))` scheme: the type X is cast to ('bool', 'list', ...). */
export function envScheme(file: PyFile, name: string | undefined): string | undefined {
  return schemeOf(file, name)?.type;
}

function schemeOf(file: PyFile, name: string | undefined): { type: string; fallback?: PyNode } | undefined {
  if (!name) return undefined;
  for (const value of file.assignments.values()) {
    if (value.name !== 'CallExpression' || file.callee(value) !== 'environ.Env') continue;
    const scheme = file.args(value).keywords.get(name);
    if (!scheme) continue;
    const items = scheme.name === 'TupleExpression' ? children(scheme).filter((part) => !['(', ')', ','].includes(part.name)) : [scheme];
    if (items[0]) return { type: file.text(items[0]), fallback: items[1] };
  }
  return undefined;
}

function truthy(value: Value): boolean | typeof UNKNOWN {
  if (value === UNKNOWN) return UNKNOWN;
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

class Evaluator {
  readonly vars = new Map<string, Value>();
  constructor(
    private readonly file: PyFile,
    private readonly env: ReadonlyMap<string, string>,
  ) {}

  run(container: PyNode): void {
    for (const statement of children(container)) {
      if (statement.name === 'AssignStatement') {
        const parts = children(statement);
        const target = parts[0];
        const value = parts[parts.length - 1];
        if (target?.name === 'VariableName' && parts[1]?.name === 'AssignOp' && value) this.vars.set(this.file.text(target), this.value(value));
      } else if (statement.name === 'IfStatement') {
        this.branch(statement);
      }
    }
  }

  /** if/elif/else: the branch the condition picks; an unknown condition makes what any branch sets unknown. */
  private branch(statement: PyNode): void {
    const parts = children(statement);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.name === 'else') {
        const body = parts[i + 1];
        if (body) this.run(body);
        return;
      }
      if (part.name !== 'if' && part.name !== 'elif') continue;
      const condition = truthy(this.value(parts[i + 1]!));
      const body = parts[i + 2];
      if (condition === UNKNOWN) {
        for (const rest of parts.slice(i)) if (rest.name === 'Body') this.forget(rest);
        return;
      }
      if (condition) {
        if (body) this.run(body);
        return;
      }
      i += 2;
    }
  }

  private forget(body: PyNode): void {
    body.cursor().iterate((ref) => {
      if (ref.name === 'AssignStatement' && ref.node.firstChild?.name === 'VariableName') this.vars.set(this.file.text(ref.node.firstChild), UNKNOWN);
    });
  }

  private envValue(name: string | undefined, fallback: Value): Value {
    if (name === undefined) return UNKNOWN;
    return this.env.has(name) ? this.env.get(name)! : fallback;
  }

  private call(node: PyNode): Value {
    const file = this.file;
    const callee = file.callee(node) ?? '';
    const args = file.args(node);
    const [first, second] = args.positional;
    const fallback = (n: PyNode | undefined): Value => (n ? this.value(n) : null);
    if (ENV_GETS.has(callee)) return this.envValue(file.stringValue(first), fallback(second ?? args.keywords.get('default')));
    const name = file.stringValue(first);
    const cast = args.keywords.get('cast');
    const asBool = (value: Value) => (typeof value === 'string' ? TRUE_WORDS.includes(value.trim().toLowerCase()) : value);
    const scheme = callee === 'environ.Env()' ? schemeOf(file, name) : undefined;
    if (scheme?.type === 'bool' || /^environ\.Env\(\)\.bool$/.test(callee) || ((callee === 'decouple.config' || callee === 'environ.Env()') && cast && file.text(cast) === 'bool')) {
      return asBool(this.envValue(name, fallback(args.keywords.get('default') ?? (callee === 'decouple.config' ? second : undefined) ?? scheme?.fallback)));
    }
    if (callee === 'environ.Env()' || callee === 'environ.Env().str' || callee === 'decouple.config') {
      const value = this.envValue(name, fallback(args.keywords.get('default')));
      return value === null && !args.keywords.has('default') ? UNKNOWN : value; // required and missing: the import fails
    }
    if (callee === 'bool' || callee === 'int' || callee === 'str') {
      const value = this.value(first!);
      if (value === UNKNOWN) return UNKNOWN;
      if (callee === 'bool') return truthy(value);
      if (callee === 'int') return Number.isInteger(Number(value)) ? Number(value) : UNKNOWN;
      return String(value);
    }
    // x.lower(), x.strip(), x.upper()
    const member = node.firstChild;
    if (member?.name === 'MemberExpression') {
      const [object, , property] = children(member);
      const method = property ? file.text(property) : '';
      if (object && ['lower', 'strip', 'upper', 'casefold'].includes(method)) {
        const value = this.value(object);
        if (typeof value !== 'string') return UNKNOWN;
        return method === 'upper' ? value.toUpperCase() : method === 'strip' ? value.trim() : value.toLowerCase();
      }
    }
    return UNKNOWN;
  }

  value(node: PyNode): Value {
    const file = this.file;
    switch (node.name) {
      case 'Boolean':
        return file.text(node) === 'True';
      case 'None':
        return null;
      case 'Number':
        return Number(file.text(node));
      case 'String':
      case 'ContinuedString':
        return file.stringValue(node) ?? UNKNOWN;
      case 'VariableName':
        return this.vars.has(file.text(node)) ? this.vars.get(file.text(node))! : UNKNOWN;
      case 'ParenthesizedExpression': {
        const inner = children(node).find((part) => part.name !== '(' && part.name !== ')');
        return inner ? this.value(inner) : UNKNOWN;
      }
      case 'TupleExpression':
      case 'ArrayExpression':
        return children(node)
          .filter((part) => !['(', ')', '[', ']', ','].includes(part.name))
          .map((part) => this.value(part));
      case 'UnaryExpression': {
        const [op, operand] = children(node);
        if (op?.name !== 'not' || !operand) return UNKNOWN;
        const value = truthy(this.value(operand));
        return value === UNKNOWN ? UNKNOWN : !value;
      }
      case 'ConditionalExpression': {
        const [yes, , condition, , no] = children(node);
        const test = condition ? truthy(this.value(condition)) : UNKNOWN;
        return test === UNKNOWN ? UNKNOWN : this.value((test ? yes : no)!);
      }
      case 'CallExpression':
        return this.call(node);
      case 'MemberExpression': {
        const [object, bracket, key] = children(node);
        if (bracket?.name === '[' && object && file.canonical(file.dotted(object)) === 'os.environ') return this.envValue(file.stringValue(key), UNKNOWN);
        return UNKNOWN;
      }
      case 'BinaryExpression':
        return this.binary(node);
      default:
        return UNKNOWN;
    }
  }

  private binary(node: PyNode): Value {
    const file = this.file;
    const parts = children(node);
    const left = parts[0]!;
    const right = parts[parts.length - 1]!;
    const op = parts
      .slice(1, -1)
      .map((part) => file.text(part))
      .join(' ');
    if (op === 'and' || op === 'or') {
      const l = this.value(left);
      const t = truthy(l);
      if (t === UNKNOWN) return UNKNOWN;
      if (op === 'and') return t ? this.value(right) : l;
      return t ? l : this.value(right);
    }
    if ((op === 'in' || op === 'not in') && file.canonical(file.dotted(right)) === 'os.environ') {
      const name = file.stringValue(left);
      if (name === undefined) return UNKNOWN;
      return op === 'in' ? this.env.has(name) : !this.env.has(name);
    }
    const l = this.value(left);
    const r = this.value(right);
    if (l === UNKNOWN || r === UNKNOWN) return UNKNOWN;
    switch (op) {
      case '==':
      case 'is':
        return l === r;
      case '!=':
      case 'is not':
        return l !== r;
      case 'in':
      case 'not in': {
        const found = Array.isArray(r) ? r.includes(l) : typeof r === 'string' && typeof l === 'string' ? r.includes(l) : UNKNOWN;
        if (found === UNKNOWN) return UNKNOWN;
        return op === 'in' ? found : !found;
      }
      case '+':
        return typeof l === 'string' && typeof r === 'string' ? l + r : typeof l === 'number' && typeof r === 'number' ? l + r : UNKNOWN;
      default:
        return UNKNOWN;
    }
  }
}

function parseSettings(rel: string, src: string): PyFile {
  return new PyFile(rel, rel.replace(/\.py$/, '').split('/').join('.'), src);
}

/** DEBUG as the settings compute it with these variables set: true, false, or undefined when it cannot be read. */
export function debugWith(sw: SettingsSwitch, env: ReadonlyMap<string, string>): boolean | undefined {
  const file = parseSettings(sw.file, sw.src);
  const evaluator = new Evaluator(file, env);
  evaluator.run(file.tree.topNode);
  if (!evaluator.vars.has('DEBUG')) return false; // Django's default
  const value = truthy(evaluator.vars.get('DEBUG')!);
  return value === UNKNOWN ? undefined : value;
}

/** The variables a condition or value reads: 'X' in os.environ, os.environ.get('X'), env('X'), config('X'). */
function variablesIn(file: PyFile, node: PyNode): string[] {
  const out = new Set<string>();
  node.cursor().iterate((ref) => {
    if (ref.name === 'String' && (ref.node.parent?.name === 'ArgList' || ref.node.parent?.name === 'BinaryExpression' || ref.node.parent?.name === 'MemberExpression')) {
      const name = file.stringValue(ref.node);
      if (name && /^[A-Z][A-Z0-9_]*$/.test(name)) out.add(name);
    }
  });
  return [...out];
}

/** Where DEBUG and STATIC_ROOT are decided in the settings file, and by which variables. */
export function readSwitch(projectDir: string, rel: string): SettingsSwitch | undefined {
  let src: string;
  try {
    src = readFileSync(join(projectDir, rel), 'utf8');
  } catch {
    return undefined;
  }
  const file = parseSettings(rel, src);
  const out: SettingsSwitch = { file: rel, src, variables: [] };
  const variables = new Set<string>();
  file.tree.iterate({
    enter: (ref) => {
      if (ref.name === 'FunctionDefinition' || ref.name === 'ClassDefinition') return false;
      if (ref.name !== 'AssignStatement') return undefined;
      const target = ref.node.firstChild;
      const name = target?.name === 'VariableName' ? file.text(target) : '';
      if (name !== 'DEBUG' && name !== 'STATIC_ROOT') return false;
      const value = ref.node.lastChild!;
      const conditions: PyNode[] = [];
      for (let up = ref.node.parent; up && up.name !== 'Script'; up = up.parent) {
        if (up.name === 'Body' && up.parent?.name === 'IfStatement') {
          const parts = children(up.parent);
          const index = parts.findIndex((p) => p.from === up!.from);
          const condition = parts[index - 1];
          if (condition && condition.name !== 'else') conditions.push(condition);
          else if (condition) conditions.push(...parts.filter((p, k) => k < index && parts[k - 1] && /^(if|elif)$/.test(parts[k - 1]!.name)));
        }
      }
      if (name === 'DEBUG') {
        out.debug = { line: file.line(ref.node), source: file.text(ref.node).replace(/\s+/g, ' ') };
        for (const v of [...variablesIn(file, value), ...conditions.flatMap((c) => variablesIn(file, c))]) variables.add(v);
      } else if (conditions.length > 0) {
        out.staticRootUnder = { line: file.line(ref.node), condition: `if ${file.text(conditions[0]!).replace(/\s+/g, ' ')}` };
      }
      return false;
    },
  });
  out.variables = [...variables];
  return out;
}

/** A value of one of the switch's variables that turns DEBUG off, given the rest of the environment. */
export function productionOn(sw: SettingsSwitch, env: ReadonlyMap<string, string>): { name: string; value: string } | undefined {
  for (const name of sw.variables) {
    for (const value of ['1', 'True', 'true', 'False', '0', 'production', '']) {
      if (debugWith(sw, new Map([...env, [name, value]])) === false) return { name, value };
    }
  }
  return undefined;
}
