/**
 * The shape of generators/, read with the TypeScript compiler API (measure.ts): no import loops,
 * no room importing a higher one (base < answers < stack < render < write < engine, audit,
 * update < generate < the API < cli), no file over 500 lines and no function over 120.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FILE_LINES, MAX_FUNCTION_LINES, measure } from './measure.js';

const shape = measure(resolve(import.meta.dirname, '../..'));

describe('the shape of generators/', () => {
  it('has no import loop, between files or between rooms', () => {
    expect(shape.loops).toEqual([]);
    expect(shape.roomLoops).toEqual([]);
  });

  it('has no room importing a higher one (and the public API imports no CLI code)', () => {
    expect(shape.upward.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    expect(shape.longFiles).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(shape.longFunctions).toEqual([]);
  });

  it('sees what it measures: every room and the dynamic imports of the API', () => {
    const rooms = new Set([...shape.files.keys()].map((f) => f.split('/')[1]));
    for (const room of ['answers', 'stack', 'render', 'write', 'engine', 'audit', 'update', 'generate', 'cli']) expect(rooms).toContain(room);
    // index.ts loads each room with import(): those edges are in the graph.
    expect(shape.files.get('generators/index.ts')?.imports).toContain('generators/generate/index.ts');
  });

  it('finds a loop, an upward import, a long file and a long function in a tree that has them', () => {
    const root = mkdtempSync(join(tmpdir(), 'pyimage-shape-'));
    try {
      mkdirSync(join(root, 'generators', 'render'), { recursive: true });
      mkdirSync(join(root, 'generators', 'write'), { recursive: true });
      writeFileSync(join(root, 'plopfile.ts'), '');
      writeFileSync(join(root, 'generators', 'render', 'a.ts'), "import { b } from '../write/b.js';\nexport const a = () => b;\n");
      const body = Array.from({ length: 130 }, (_, i) => `  const v${i} = ${i};`).join('\n');
      writeFileSync(join(root, 'generators', 'write', 'b.ts'), `import { a } from '../render/a.js';\nexport function b() {\n${body}\n  return a;\n}\n${'\n'.repeat(400)}`);
      const bad = measure(root);
      expect(bad.loops).toEqual([['generators/render/a.ts', 'generators/write/b.ts']]);
      expect(bad.upward).toEqual([{ from: 'generators/render/a.ts', to: 'generators/write/b.ts' }]);
      expect(bad.longFiles.map((f) => f.file)).toEqual(['generators/write/b.ts']);
      expect(bad.longFunctions.map((f) => [f.name, f.lines])).toEqual([['b', 133]]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
