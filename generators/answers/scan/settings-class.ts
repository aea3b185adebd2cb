/**
 * Reading Python settings classes for the scanner: pydantic BaseSettings fields (with their
 * env_prefix, case sensitivity and aliases) and literal-keyed dicts.
 */
import { assignParts, children, type PyFile, type PyNode } from './python.js';

/** One environment variable the code reads, and how. */
export interface EnvRead {
  /** e.g. DATABASE_URL */
  name: string;
  /** Relative POSIX path and 1-based line of the read (the first of the strongest reads of that name). */
  file: string;
  line: number;
  /** environ[] / environ.get / getenv: the os module; settings-field: a pydantic BaseSettings field;
   *  prefixed-env: a config key set in a file that calls app.config.from_prefixed_env(), so PREFIX_KEY
   *  overrides it; config-from-env: python-decouple config(), starlette Config(), django-environ env();
   *  dotenv-file: `dotenv_values(".env")["X"]` / `.get("X")`, read from the .env file itself, not the environment. */
  how: 'environ[]' | 'environ.get' | 'getenv' | 'settings-field' | 'prefixed-env' | 'config-from-env' | 'dotenv-file';
  /** True when the app fails without it: os.environ["X"] outside a guard, a settings field or
   *  decouple/django-environ read without a default. */
  required: boolean;
  /** The literal default (strings as their value, numbers and booleans as written). */
  default?: string;
}

/** Literal-keyed entries of a dict: {"A": 1, 'B': x} or dict(A=1, B=x); [] for anything else. */
export function dictEntries(file: PyFile, dict: PyNode): { key: string; value: PyNode; line: number }[] {
  if (dict.name === 'CallExpression' && file.callee(dict) === 'dict') {
    return [...file.args(dict).keywords].map(([key, value]) => ({ key, value, line: file.line(value) }));
  }
  if (dict.name !== 'DictionaryExpression') return [];
  const parts = children(dict);
  const out: { key: string; value: PyNode; line: number }[] = [];
  for (let i = 0; i + 2 < parts.length; i++) {
    const key = file.stringValue(parts[i]);
    if (key !== undefined && parts[i + 1]!.name === ':') out.push({ key, value: parts[i + 2]!, line: file.line(parts[i]!) });
  }
  return out;
}

/** env_prefix and case_sensitive from `class Config:` (pydantic 1) or `model_config = SettingsConfigDict(...)` (2). */
export function settingsConfig(file: PyFile, cls: PyNode): { prefix?: string; caseSensitive?: boolean } {
  const out: { prefix?: string; caseSensitive?: boolean } = {};
  const take = (key: string, value: PyNode) => {
    if (key === 'env_prefix') out.prefix = file.stringValue(value);
    if (key === 'case_sensitive') out.caseSensitive = file.text(value) === 'True';
  };
  for (const statement of children(cls.getChild('Body') ?? cls)) {
    if (statement.name === 'ClassDefinition' && file.text(statement.getChild('VariableName') ?? statement) === 'Config') {
      for (const inner of children(statement.getChild('Body') ?? statement)) {
        const [target, value] = inner.name === 'AssignStatement' ? assignParts(inner) : [];
        if (target && value) take(file.text(target), value);
      }
    } else if (statement.name === 'AssignStatement') {
      const [target, value] = assignParts(statement);
      if (!target || !value || file.text(target) !== 'model_config') continue;
      if (value.name === 'CallExpression') for (const [key, arg] of file.args(value).keywords) take(key, arg);
      else for (const entry of dictEntries(file, value)) take(entry.key, entry.value);
    }
  }
  return out;
}

/** Annotated fields: PREFIX + name, or the literal env= / validation_alias= / alias= of Field(...). */
export function settingsFieldReads(file: PyFile, cls: PyNode, prefix: string): EnvRead[] {
  const reads: EnvRead[] = [];
  for (const statement of children(cls.getChild('Body') ?? cls)) {
    if (statement.name !== 'AssignStatement' || !statement.getChild('TypeDef')) continue;
    const [target, value] = assignParts(statement);
    if (target?.name !== 'VariableName') continue;
    const field = file.text(target);
    // ClassVar[str] or bare ClassVar: a class constant, not a field
    const annotation = statement.getChild('TypeDef')!.lastChild;
    const annotated = annotation && file.canonical(file.dotted(annotation.name === 'MemberExpression' && annotation.firstChild ? annotation.firstChild : annotation));
    if (field.startsWith('_') || field === 'model_config' || annotated === 'typing.ClassVar' || annotated === 'ClassVar') continue;
    let name = prefix + field;
    let required = value === undefined;
    let fallback = value;
    if (value?.name === 'CallExpression' && /(^|\.)Field$/.test(file.callee(value) ?? '')) {
      const args = file.args(value);
      const first = args.positional[0];
      fallback = args.keywords.get('default') ?? (first?.name === 'Ellipsis' ? undefined : first);
      required = !fallback && !args.keywords.has('default_factory');
      for (const key of ['validation_alias', 'alias', 'env']) {
        const alias = aliasName(file, args.keywords.get(key));
        if (alias !== undefined) name = alias;
      }
    }
    const literal = file.literalText(fallback);
    reads.push({ name, file: file.rel, line: file.line(statement), how: 'settings-field', required, ...(literal !== undefined ? { default: literal } : {}) });
  }
  return reads;
}

/** "X", ["X", "Y"] or AliasChoices("X", "Y") -> "X". */
function aliasName(file: PyFile, node: PyNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.name === 'CallExpression') return file.stringValue(file.args(node).positional[0]);
  if (node.name === 'ArrayExpression' || node.name === 'TupleExpression') return file.stringValue(children(node).find((part) => part.name === 'String'));
  return file.stringValue(node);
}

