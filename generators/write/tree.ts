/**
 * The write room: compares rendered files with the disk, shows what would change (dry run and
 * diffs), and writes all-or-nothing: every file is staged beside the project first, then moved
 * into place; if any move fails, the files already moved are put back as they were (journal.ts).
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { commitJournaled, recoverInterruptedCommit } from './journal.js';

export interface FileToWrite {
  path: string;
  content: string;
  mode: number;
  strategy: WriteStrategy;
}

/**
 * `replace`: a whole file the user may have edited (never overwritten without consent);
 * `append-lines`: lines we need in a file the user owns (.gitignore): only missing lines are added;
 * `owned`: create-pyimage's own bookkeeping (.create-pyimage.json, pristine copies): always replaced.
 */
export type WriteStrategy = 'replace' | 'append-lines' | 'owned';

export type ChangeKind = 'create' | 'identical' | 'overwrite' | 'conflict' | 'append' | 'delete';

export interface PlannedChange {
  path: string;
  kind: ChangeKind;
  /** What the file holds after the write (undefined for delete). */
  content: string | undefined;
  /** What it holds now (undefined when absent). */
  before: string | undefined;
  mode: number;
}

/** Refuses paths that would land outside the project (absolute, `..`, or through a symlinked parent). */
export function safeJoin(projectDir: string, relativePath: string): string {
  const root = resolve(projectDir);
  const target = resolve(root, relativePath);
  if (relativePath.startsWith('/') || target === root || !target.startsWith(root + sep)) {
    throw new Error(`refusing to write outside the project: ${relativePath}`);
  }
  return target;
}

function readIfExists(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** Lines of `wanted` missing from `existing`, appended after it (the user's lines stay as they are). */
export function appendMissingLines(existing: string, wanted: string): string {
  const have = new Set(existing.split(/\r?\n/).map((l) => l.trim()));
  const missing = wanted.split('\n').filter((l) => l.trim() !== '' && !have.has(l.trim()));
  // A comment line is only worth adding when something it introduces is added too.
  const meaningful = missing.filter((l) => !l.trim().startsWith('#'));
  if (meaningful.length === 0) return existing;
  const separator = existing === '' || existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  return `${existing}${separator}${missing.join('\n')}\n`;
}

/**
 * Plans the write. `replace` files that exist with other content are conflicts unless
 * `overwrite` is set (the user's consent: --force, or a yes at the prompt).
 */
export function planWrite(projectDir: string, files: FileToWrite[], options: { overwrite: boolean }): PlannedChange[] {
  return files.map((file) => {
    const before = readIfExists(safeJoin(projectDir, file.path));
    if (file.strategy === 'append-lines') {
      const content = appendMissingLines(before ?? '', file.content);
      return { path: file.path, kind: before === undefined ? 'create' : content === before ? 'identical' : 'append', content, before, mode: file.mode };
    }
    if (before === undefined) return { path: file.path, kind: 'create', content: file.content, before, mode: file.mode };
    if (file.strategy === 'owned' && before !== file.content) return { path: file.path, kind: 'overwrite', content: file.content, before, mode: file.mode };
    if (before === file.content) return { path: file.path, kind: 'identical', content: file.content, before, mode: file.mode };
    return { path: file.path, kind: options.overwrite ? 'overwrite' : 'conflict', content: file.content, before, mode: file.mode };
  });
}

export function conflicts(plan: PlannedChange[]): PlannedChange[] {
  return plan.filter((c) => c.kind === 'conflict');
}

/** A unified diff of one planned change against what is on disk ('' when nothing changes). */
export function diffOf(change: PlannedChange): string {
  if (change.kind === 'identical') return '';
  return createTwoFilesPatch(
    change.before === undefined ? '/dev/null' : `a/${change.path}`,
    change.content === undefined ? '/dev/null' : `b/${change.path}`,
    change.before ?? '',
    change.content ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
}

/**
 * Applies the plan all-or-nothing, through the commit journal (journal.ts): a failure undoes what
 * was moved, and a run that was killed is finished or undone by the next one. Conflicts must have
 * been resolved (or refused) before.
 */
export function commitPlan(projectDir: string, plan: PlannedChange[], note: (line: string) => void = (line) => console.error(line)): void {
  if (conflicts(plan).length > 0) throw new Error('commitPlan: unresolved conflicts');
  const changes = plan.filter((c) => c.kind !== 'identical');
  if (changes.length === 0) return;
  mkdirSync(projectDir, { recursive: true });
  // The commands recover before they plan; this is the safety net for other callers.
  const recovered = recoverInterruptedCommit(resolve(projectDir));
  if (recovered) note(`  note: ${recovered.message}`);
  commitJournaled(
    resolve(projectDir),
    changes.map((c) => ({ path: c.path, target: safeJoin(projectDir, c.path), content: c.content, mode: c.mode })),
  );
}

/** A directory as the user would type it from here: relative below the cwd, else absolute. */
export function displayPath(dir: string): string {
  const fromHere = relative(process.cwd(), dir) || '.';
  return fromHere.startsWith('..') ? dir : fromHere;
}

export function describePlan(projectDir: string, plan: PlannedChange[]): string {
  const label: Record<ChangeKind, string> = {
    create: 'create',
    identical: 'same',
    overwrite: 'overwrite',
    conflict: 'EXISTS',
    append: 'append',
    delete: 'delete',
  };
  const where = displayPath(projectDir);
  return plan.map((c) => `  ${label[c.kind].padEnd(9)} ${join(where, c.path)}`).join('\n');
}
