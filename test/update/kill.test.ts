/**
 * A process killed (SIGKILL: no handler runs) at several points of `update`'s commit leaves a
 * journal, and the next run finds it and finishes or undoes the write, saying which: the project
 * ends exactly as before the update or exactly as after it, never in between.
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import { renderProject } from '../../generators/render/index.js';
import { runUpdate } from '../../generators/update/run.js';
import { COMMIT_DIR } from '../../generators/write/journal.js';
import { pristineFiles } from '../../generators/write/pristine.js';
import { commitPlan, planWrite } from '../../generators/write/tree.js';
import { repoRoot, snapshot, tempDir } from '../helpers.js';

const child = join(repoRoot, 'test', 'update', 'kill-child.ts');
const runChild = (dir: string, ...args: string[]) =>
  execa('node', ['--import', 'tsx', child, dir, ...args], { cwd: repoRoot, reject: false, timeout: 60_000 });

const t = tempDir('pyimage-kill-');
afterAll(t.cleanup);
let n = 0;
let before: Map<string, string>;
let after: Map<string, string>;
let template: string;

beforeAll(async () => {
  template = join(t.dir, 'template');
  const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask' }, detected: {} });
  const rendered = renderProject(answers);
  commitPlan(template, planWrite(template, [...rendered, ...pristineFiles(rendered)], { overwrite: true }));
  before = snapshot(template);
  const done = copy();
  await runUpdate(done, { set: ['postgres=true'], out: () => {}, note: () => {} });
  after = snapshot(done);
});

function copy(): string {
  const dir = join(t.dir, `p${n++}`);
  cpSync(template, dir, { recursive: true });
  return dir;
}

describe('update killed mid-commit', () => {
  // rename 0 is the journal's; 1-38 move 21 files in (and aside); write 0 is the owner pid, 1-21
  // stage the files, 22 the journal; rm 0 removes the journal at the end; "15 17": rename 15 fails,
  // and the kill lands in the undo.
  it.each([
    ['write', '0', 'cleaned'],
    ['write', '10', 'cleaned'],
    ['write', '22', 'cleaned'],
    ['rename', '0', 'cleaned'],
    ['rename', '1', 'finished'],
    ['rename', '2', 'finished'],
    ['rename', '17', 'finished'],
    ['rename', '38', 'finished'],
    ['rm', '1', 'cleaned'],
    ['rename', '17', 'undone', '15'],
  ])('killed at %s %s: the next run says "%s" and the project is whole', async (op, at, action, failAt = '-1') => {
    const dir = copy();
    const killed = await runChild(dir, op, at, failAt);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(dir, COMMIT_DIR))).toBe(true);
    expect(snapshot(dir)).not.toEqual(after); // interrupted: not (yet) the update's result

    // The next run of any writing command recovers first; here the same update, as a user would retry.
    const notes: string[] = [];
    const result = await runUpdate(dir, { set: ['postgres=true'], out: () => {}, note: (l) => notes.push(l) });
    expect(notes.join('\n')).toMatch({ finished: /finished it/, undone: /undid it/, cleaned: /removed .*create-pyimage-commit/ }[action]!);
    expect(result.exitCode).toBe(0);
    expect(snapshot(dir)).toEqual(after);
    expect(readdirSync(dir)).not.toContain(COMMIT_DIR);
  });

  it('finishing or undoing alone leaves exactly the state after or before the update', async () => {
    const { recoverInterruptedCommit } = await import('../../generators/write/journal.js');
    for (const [op, at, failAt, expected] of [
      ['rename', '9', '-1', 'after'],
      ['rename', '21', '19', 'before'],
      ['write', '5', '-1', 'before'],
    ] as const) {
      const dir = copy();
      await runChild(dir, op, at, failAt);
      const recovery = recoverInterruptedCommit(dir);
      expect(recovery?.action).toBe({ after: 'finished', before: op === 'write' ? 'cleaned' : 'undone' }[expected]);
      expect(snapshot(dir)).toEqual(expected === 'after' ? after : before);
    }
  });

  it('a dry run refuses to plan over an interrupted write (exit 2) and writes nothing', async () => {
    const dir = copy();
    await runChild(dir, 'rename', '5');
    const interrupted = snapshot(dir);
    await expect(runUpdate(dir, { set: ['postgres=true'], dryRun: true, out: () => {}, note: () => {} })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/interrupted: run again without --dry-run/),
    });
    expect(snapshot(dir)).toEqual(interrupted);
  });
});
