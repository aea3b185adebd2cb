/**
 * Where the app object lives, read with the parser: `app = FastAPI()`, `app = fastapi.FastAPI()`,
 * `application = F(__name__)` after `from flask import Flask as F`, factories (`def create_app(): ...
 * return app`), and `app = create_app()` calling a factory of the project (also through relative
 * imports). Modules are named as Python imports them (`pkg/__init__.py` is `pkg`). Pure apart from
 * reading files; detect.ts weighs the result against the project's own run commands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importable, moduleName, projectPythonFiles } from './scan/files.js';
import { children, PyFile, someDescendant, type PyNode } from './scan/python.js';

export type AppFramework = 'fastapi' | 'flask' | 'asgi';

export interface AppCandidate {
  /** `module:attribute`, or `module:factory()` for a factory. */
  appModule: string;
  framework: AppFramework;
  /** Relative POSIX path and line of the assignment or the def. */
  file: string;
  line: number;
  /** object: built by a constructor; factory: a function returning one; factory-call: built by calling a project factory. */
  kind: 'object' | 'factory' | 'factory-call';
  /** A factory whose parameters have no defaults: it cannot be called bare. */
  needsArgs?: boolean;
}

export interface AppSearch {
  /** Usable candidates, best first. */
  candidates: AppCandidate[];
  /** Module-level names each module defines or imports, for checking a run command's `module:attr`. */
  names: Map<string, Set<string>>;
  /** Module -> its file (relative POSIX path). */
  files: Map<string, string>;
  /** Files that import a web framework but build no app we could use, for the "not found" message. */
  seen: string[];
  /** How many Python files the project has (none: a new project). */
  pythonFiles: number;
}

/** Constructors of an app object, by canonical dotted name. */
const CONSTRUCTORS: Record<string, AppFramework> = {
  'fastapi.FastAPI': 'fastapi',
  'fastapi.applications.FastAPI': 'fastapi',
  'flask.Flask': 'flask',
  'flask.app.Flask': 'flask',
  'starlette.applications.Starlette': 'asgi',
  'quart.Quart': 'asgi',
};
const KEYWORDS = ['Flask', 'FastAPI', 'Starlette', 'Quart', 'fastapi', 'flask', 'starlette', 'quart'];
const FACTORY_NAMES = ['create_app', 'make_app', 'app_factory', 'get_app', 'create_application', 'get_application'];

function importedFramework(file: PyFile): AppFramework | undefined {
  const top = [...file.importedModules].map((m) => m.split('.')[0]);
  return top.includes('fastapi') ? 'fastapi' : top.includes('flask') ? 'flask' : top.includes('starlette') || top.includes('quart') ? 'asgi' : undefined;
}

/** A constructed object first; then the factory itself, which a `x = create_app()` elsewhere (wsgi.py, a Celery entry) only wraps. */
const KIND_RANK: Record<AppCandidate['kind'], number> = { object: 0, factory: 1, 'factory-call': 2 };
/** Module names a run command usually points at, most likely first. */
const ENTRY_NAMES = ['main', 'app', 'wsgi', 'asgi', 'server', 'api', 'application', 'run'];

function constructed(file: PyFile, call: PyNode): AppFramework | undefined {
  if (call.name !== 'CallExpression') return undefined;
  return CONSTRUCTORS[file.callee(call) ?? ''];
}

/** Statements that run when the module is imported: the Script's, and those in module-level if/try/with (not `if __name__ == "__main__"`). */
function moduleStatements(file: PyFile): PyNode[] {
  const out: PyNode[] = [];
  const visit = (container: PyNode) => {
    for (const statement of children(container)) {
      if (statement.name === 'IfStatement') {
        const condition = children(statement)[1];
        if (condition && file.text(condition).includes('__name__')) continue;
      }
      if (['IfStatement', 'TryStatement', 'WithStatement'].includes(statement.name)) {
        for (const body of children(statement)) if (body.name === 'Body') visit(body);
        continue;
      }
      out.push(statement);
    }
  };
  visit(file.tree.topNode);
  return out;
}

/** `def f(a, b=1)` -> true when a parameter has no default (self, *args and **kwargs aside). */
function requiresArgs(file: PyFile, fn: PyNode): boolean {
  const params = fn.getChild('ParamList');
  if (!params) return false;
  const parts = children(params);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.name === '*' || part.name === '**') {
      i++;
      continue;
    }
    if (part.name !== 'VariableName') continue;
    const next = parts[i + 1];
    const hasDefault = next?.name === 'AssignOp' || (next?.name === 'TypeDef' && parts[i + 2]?.name === 'AssignOp');
    if (!hasDefault) return true;
  }
  return false;
}

interface Parsed {
  file: PyFile;
  statements: PyNode[];
}

function parseAll(projectDir: string): { parsed: Parsed[]; count: number; sources: Map<string, string> } {
  const parsed: Parsed[] = [];
  const sources = new Map<string, string>();
  const files = projectPythonFiles(projectDir).filter((rel) => !/(^|\/)(migrations|alembic)\//.test(rel));
  for (const rel of files) {
    const module = moduleName(rel);
    if (!importable(module)) continue;
    let src: string;
    try {
      src = readFileSync(join(projectDir, rel), 'utf8');
    } catch {
      continue;
    }
    sources.set(rel, src);
    const file = new PyFile(rel, module, src);
    parsed.push({ file, statements: moduleStatements(file) });
  }
  return { parsed, count: files.length, sources };
}

function definedNames(file: PyFile, statements: PyNode[]): Set<string> {
  const names = new Set<string>(file.imports.keys());
  for (const statement of statements) {
    if (statement.name === 'AssignStatement') {
      for (const part of children(statement)) {
        if (part.name === 'AssignOp') break;
        if (part.name === 'VariableName') names.add(file.text(part));
      }
    } else if (statement.name === 'FunctionDefinition' || statement.name === 'ClassDefinition') {
      const name = statement.getChild('VariableName');
      if (name) names.add(file.text(name));
    }
  }
  return names;
}

/** Every app object and factory in the project, best first. */
export function findApps(projectDir: string): AppSearch {
  const { parsed, count } = parseAll(projectDir);
  const candidates: AppCandidate[] = [];
  const names = new Map<string, Set<string>>();
  const files = new Map<string, string>();
  const seen: string[] = [];
  /** `pkg.factory.create_app` -> its framework, for `app = create_app()` elsewhere. */
  const factories = new Map<string, AppFramework>();

  for (const { file, statements } of parsed) {
    names.set(file.module, definedNames(file, statements));
    files.set(file.module, file.rel);
    if (!KEYWORDS.some((word) => file.src.includes(word))) continue;
    for (const statement of statements) {
      if (statement.name !== 'FunctionDefinition') continue;
      const name = statement.getChild('VariableName');
      const body = statement.getChild('Body');
      if (!name || !body) continue;
      const fn = file.text(name);
      let framework: AppFramework | undefined;
      someDescendant(body, (n) => Boolean((framework = constructed(file, n))));
      // A conventionally named factory that builds the app through a helper, in a file importing the framework.
      if (!framework && FACTORY_NAMES.includes(fn)) framework = importedFramework(file);
      if (!framework || !someDescendant(body, (n) => n.name === 'ReturnStatement')) continue;
      factories.set(`${file.module}.${fn}`, framework);
      candidates.push({ appModule: `${file.module}:${fn}()`, framework, file: file.rel, line: file.line(statement), kind: 'factory', ...(requiresArgs(file, statement) ? { needsArgs: true } : {}) });
    }
  }
  for (const { file, statements } of parsed) {
    let found = false;
    for (const statement of statements) {
      if (statement.name !== 'AssignStatement') continue;
      const parts = children(statement);
      const value = parts[parts.length - 1];
      const target = parts[0];
      if (target?.name !== 'VariableName' || value?.name !== 'CallExpression') continue;
      const callee = file.callee(value) ?? '';
      // a factory of this file is called by its bare name; one imported resolves to its module
      const direct = constructed(file, value);
      const framework = direct ?? factories.get(callee) ?? factories.get(`${file.module}.${callee}`);
      if (!framework) continue;
      found = true;
      candidates.push({ appModule: `${file.module}:${file.text(target)}`, framework, file: file.rel, line: file.line(statement), kind: direct ? 'object' : 'factory-call' });
    }
    const imports = [...file.importedModules].find((m) => /^(fastapi|flask|starlette|quart)(\.|$)/.test(m));
    if (!found && imports && !candidates.some((c) => c.file === file.rel)) seen.push(`${file.rel} imports ${imports.split('.')[0]} but builds no app at module level`);
  }
  const entryRank = (module: string) => {
    const index = ENTRY_NAMES.indexOf(module.split('.').pop()!);
    return index === -1 ? ENTRY_NAMES.length : index;
  };
  const attrRank = (c: AppCandidate) => (/:(app|application)$/.test(c.appModule) ? 0 : 1);
  candidates.sort(
    (a, b) =>
      KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
      Number(Boolean(a.needsArgs)) - Number(Boolean(b.needsArgs)) ||
      a.appModule.split(':')[0]!.split('.').length - b.appModule.split(':')[0]!.split('.').length ||
      attrRank(a) - attrRank(b) ||
      entryRank(a.appModule.split(':')[0]!) - entryRank(b.appModule.split(':')[0]!),
  );
  return { candidates, names, files, seen, pythonFiles: count };
}

/** True when `module:attr` (or `module:factory()`) names something the module defines or imports. */
export function appExists(search: AppSearch, appModule: string): boolean {
  const [module, attribute] = appModule.split(':');
  const attr = attribute?.replace(/\(.*\)$/, '');
  return Boolean(module && attr && search.names.get(module)?.has(attr));
}
