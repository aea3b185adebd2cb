/**
 * Measures the shape of generators/: the import graph (loops, a lower room importing a higher
 * one), file lengths and function lengths, read with the TypeScript compiler API. Used by
 * structure.test.ts (which guards the limits in CI) and runnable on its own for the figures:
 * `npx tsx test/structure/measure.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const MAX_FILE_LINES = 500;
export const MAX_FUNCTION_LINES = 120;

/**
 * The rooms from the bottom up: a file may import its own room or a lower one only. Rooms on one
 * level (engine, audit, update) sit beside each other and may not import each other.
 */
const ROOMS: Array<[string, number]> = [
  ['errors.ts', 0],
  ['paths.ts', 0],
  ['base', 0],
  ['answers', 1],
  ['stack', 2],
  ['render', 3],
  ['write', 4],
  ['engine', 5],
  ['audit', 5],
  ['update', 5],
  ['generate', 6],
  // The public API sits below the CLI: it may not import CLI code.
  ['index.ts', 7],
  ['cli', 8],
];

export interface Edge {
  from: string;
  to: string;
}

export interface Shape {
  files: Map<string, { lines: number; imports: string[] }>;
  /** Each loop: the files of one strongly connected component with more than one file. */
  loops: string[][];
  /** Imports that go up (or sideways between sibling rooms). */
  upward: Edge[];
  /** Loops between rooms (render imports write, which imports render). */
  roomLoops: string[][];
  longFiles: Array<{ file: string; lines: number }>;
  longFunctions: Array<{ file: string; name: string; line: number; lines: number }>;
}

/** The room of a path relative to generators/: its first folder, or the file itself at the top. */
export function roomOf(file: string): string {
  return file.split('/')[0]!;
}

function rank(file: string): number | undefined {
  if (!file.startsWith('generators/')) return undefined;
  const room = roomOf(file.slice('generators/'.length));
  return ROOMS.find(([r]) => r === room)?.[1];
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function specifiers(source: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) out.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function functionName(node: ts.Node): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name && ts.isIdentifier(named.name)) return named.name.text;
  if (named.name) return named.name.getText();
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '(anonymous)';
}

function functions(source: ts.SourceFile, file: string, out: Shape['longFunctions']): void {
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES) out.push({ file, name: functionName(node), line: start + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** Tarjan's strongly connected components. */
function components(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}

export function measure(root: string): Shape {
  const paths = [...walk(join(root, 'generators'), []), join(root, 'plopfile.ts')];
  const files: Shape['files'] = new Map();
  const longFunctions: Shape['longFunctions'] = [];
  for (const path of paths) {
    const text = readFileSync(path, 'utf8');
    const file = relative(root, path);
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const imports = specifiers(source)
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(root, resolve(dirname(path), s.replace(/\.js$/, '.ts'))));
    files.set(file, { lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), imports });
    if (file.startsWith('generators/')) functions(source, file, longFunctions);
  }
  const graph = new Map([...files].map(([f, v]) => [f, v.imports.filter((i) => files.has(i))]));
  const upward: Edge[] = [];
  for (const [from, tos] of graph) {
    const a = rank(from);
    for (const to of new Set(tos)) {
      const b = rank(to);
      if (from === 'plopfile.ts' || to === 'plopfile.ts') {
        if (to === 'plopfile.ts') upward.push({ from, to });
        continue;
      }
      if (a === undefined || b === undefined) continue;
      const sameRoom = roomOf(from.slice(11)) === roomOf(to.slice(11));
      if (b > a || (b === a && !sameRoom && a !== 0)) upward.push({ from, to });
    }
  }
  const longFiles = [...files]
    .filter(([f, v]) => f.startsWith('generators/') && v.lines > MAX_FILE_LINES)
    .map(([file, v]) => ({ file, lines: v.lines }));
  const rooms = new Map<string, Set<string>>();
  for (const [from, tos] of graph) {
    const a = from.startsWith('generators/') ? roomOf(from.slice(11)) : from;
    for (const to of tos) {
      const b = to.startsWith('generators/') ? roomOf(to.slice(11)) : to;
      if (a === b) continue;
      rooms.set(a, (rooms.get(a) ?? new Set()).add(b));
    }
  }
  const roomLoops = components(new Map([...rooms].map(([r, s]) => [r, [...s]])));
  return { files, loops: components(graph), upward, roomLoops, longFiles, longFunctions };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const shape = measure(resolve(dirname(new URL(import.meta.url).pathname), '../..'));
  console.log(`files: ${[...shape.files.keys()].filter((f) => f.startsWith('generators/')).length}`);
  console.log(`import loops (strongly connected groups): ${shape.loops.length}, files in them: ${shape.loops.flat().length}`);
  for (const loop of shape.loops) console.log(`  loop: ${loop.join(' ')}`);
  console.log(`loops between rooms: ${shape.roomLoops.length}`);
  for (const loop of shape.roomLoops) console.log(`  rooms: ${loop.join(' ')}`);
  console.log(`upward/sideways imports: ${shape.upward.length}`);
  for (const e of shape.upward) console.log(`  ${e.from} -> ${e.to}`);
  console.log(`files over ${MAX_FILE_LINES} lines: ${shape.longFiles.length}`);
  for (const f of shape.longFiles) console.log(`  ${f.file}: ${f.lines}`);
  console.log(`functions over ${MAX_FUNCTION_LINES} lines: ${shape.longFunctions.length}`);
  for (const f of shape.longFunctions) console.log(`  ${f.file}:${f.line} ${f.name}: ${f.lines}`);
}
