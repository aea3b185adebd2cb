/**
 * All-or-nothing: a write that fails half-way through an update (here the Nth rename into the
 * project) leaves every file as it was, bookkeeping included.
 */
import * as fs from 'node:fs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import { renderProject } from '../../generators/render/index.js';
import { runUpdate } from '../../generators/update/run.js';
import { pristineFiles } from '../../generators/write/pristine.js';
import { commitPlan, planWrite } from '../../generators/write/tree.js';
import { snapshot, tempDir } from '../helpers.js';

const failAfter = { renames: Number.POSITIVE_INFINITY };
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      // Fails once, at the Nth rename; the rollback's own renames go through.
      if (failAfter.renames-- === 0) throw Object.assign(new Error('EIO: injected failure'), { code: 'EIO' });
      return actual.renameSync(from, to);
    },
  };
});

let cleanups: (() => void)[] = [];
afterEach(() => {
  failAfter.renames = Number.POSITIVE_INFINITY;
  for (const c of cleanups) c();
  cleanups = [];
});


describe('update is all-or-nothing', () => {
  it.each([0, 3, 10, 25])('a failure after %i renames leaves the project exactly as it was', async (renames) => {
    const t = tempDir('pyimage-atomic-');
    cleanups.push(t.cleanup);
    const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask' }, detected: {} });
    const rendered = renderProject(answers);
    commitPlan(t.dir, planWrite(t.dir, [...rendered, ...pristineFiles(rendered)], { overwrite: true }));
    const compose = join(t.dir, 'docker-compose.yml');
    writeFileSync(compose, readFileSync(compose, 'utf8').replace('memory: 512m', 'memory: 1g'));
    const before = snapshot(t.dir);
    failAfter.renames = renames;
    await expect(runUpdate(t.dir, { set: ['postgres=true'], out: () => {}, note: () => {} })).rejects.toThrow(/injected failure/);
    expect(snapshot(t.dir)).toEqual(before);
    // And with the failure gone the same update goes through.
    failAfter.renames = Number.POSITIVE_INFINITY;
    const result = await runUpdate(t.dir, { set: ['postgres=true'], out: () => {}, note: () => {} });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(compose, 'utf8')).toContain('memory: 1g');
    expect(readFileSync(compose, 'utf8')).toContain('  db:');
  });
});
