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
import { COMMIT_DIR, recoverInterruptedCommit } from '../../generators/write/journal.js';
import { pristineFiles } from '../../generators/write/pristine.js';
import { commitPlan, planWrite } from '../../generators/write/tree.js';
import { snapshot, tempDir } from '../helpers.js';

/** `renames`: fails once, at the Nth rename; `thenAlso`: fails the rollback's Kth rename after that too. */
const failAfter = { renames: Number.POSITIVE_INFINITY, thenAlso: Number.POSITIVE_INFINITY };
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      if (failAfter.renames-- === 0) throw Object.assign(new Error('EIO: injected failure'), { code: 'EIO' });
      if (failAfter.renames < 0 && failAfter.thenAlso-- === 0) throw Object.assign(new Error('EIO: injected rollback failure'), { code: 'EIO' });
      return actual.renameSync(from, to);
    },
  };
});

let cleanups: (() => void)[] = [];
afterEach(() => {
  failAfter.renames = Number.POSITIVE_INFINITY;
  failAfter.thenAlso = Number.POSITIVE_INFINITY;
  for (const c of cleanups) c();
  cleanups = [];
});


async function generatedProject(): Promise<{ dir: string; compose: string }> {
  const t = tempDir('pyimage-atomic-');
  cleanups.push(t.cleanup);
  const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask' }, detected: {} });
  const rendered = renderProject(answers);
  commitPlan(t.dir, planWrite(t.dir, [...rendered, ...pristineFiles(rendered)], { overwrite: true }));
  const compose = join(t.dir, 'docker-compose.yml');
  writeFileSync(compose, readFileSync(compose, 'utf8').replace('memory: 512m', 'memory: 1g'));
  return { dir: t.dir, compose };
}

describe('a rename that fails while rolling back', () => {
  it.each([
    [4, 1],
    [12, 5],
  ])('a failure after %i renames, then at undo rename %i: the error says so, and the next run undoes the rest', async (renames, rollback) => {
    const { dir, compose } = await generatedProject();
    failAfter.renames = renames;
    failAfter.thenAlso = rollback;
    await expect(runUpdate(dir, { set: ['postgres=true'], out: () => {}, note: () => {} })).rejects.toThrow(
      /failed \(EIO: injected failure\), and so did putting it back \(EIO: injected rollback failure\)[\s\S]*run create-pyimage again/,
    );
    expect(fs.existsSync(join(dir, COMMIT_DIR, 'journal.json'))).toBe(true);
    failAfter.renames = Number.POSITIVE_INFINITY;
    failAfter.thenAlso = Number.POSITIVE_INFINITY;
    const notes: string[] = [];
    const result = await runUpdate(dir, { set: ['postgres=true'], dryRun: false, out: () => {}, note: (l) => notes.push(l) });
    expect(notes.join('\n')).toMatch(/an earlier write had failed half-way; undid it/);
    expect(result.exitCode).toBe(0);
    expect(readFileSync(compose, 'utf8')).toContain('memory: 1g');
    expect(fs.existsSync(join(dir, COMMIT_DIR))).toBe(false);
    // Undone on its own, the project is exactly as it was.
    const again = await generatedProject();
    const beforeAgain = snapshot(again.dir);
    failAfter.renames = renames;
    failAfter.thenAlso = rollback;
    await expect(runUpdate(again.dir, { set: ['postgres=true'], out: () => {}, note: () => {} })).rejects.toThrow(/putting it back/);
    failAfter.thenAlso = Number.POSITIVE_INFINITY;
    expect(recoverInterruptedCommit(again.dir)?.action).toBe('undone');
    expect(snapshot(again.dir)).toEqual(beforeAgain);
  });
});

describe('update is all-or-nothing', () => {
  it.each([0, 3, 10, 25])('a failure after %i renames leaves the project exactly as it was', async (renames) => {
    const { dir, compose } = await generatedProject();
    const before = snapshot(dir);
    failAfter.renames = renames;
    await expect(runUpdate(dir, { set: ['postgres=true'], out: () => {}, note: () => {} })).rejects.toThrow(/injected failure/);
    expect(snapshot(dir)).toEqual(before);
    // And with the failure gone the same update goes through.
    failAfter.renames = Number.POSITIVE_INFINITY;
    const result = await runUpdate(dir, { set: ['postgres=true'], out: () => {}, note: () => {} });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(compose, 'utf8')).toContain('memory: 1g');
    expect(readFileSync(compose, 'utf8')).toContain('  db:');
  });
});
