/**
 * Plans an update: for every file, the user's version (on disk), the pristine version generated
 * last time (.create-pyimage/pristine/) and the new rendering decide the outcome. Nothing here
 * writes; the result is one write plan for the write room's all-or-nothing commit.
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RenderedFile } from '../render/index.js';
import { PRISTINE_DIR, pristineFiles, pristinePath } from '../write/pristine.js';
import { planWrite, safeJoin, type FileToWrite, type PlannedChange } from '../write/tree.js';
import { hasConflictMarkers } from './line-merge.js';
import { mergeFile } from './merge.js';

export type Outcome =
  /** Nobody changed it (or both made the same change). */
  | 'unchanged'
  /** Untouched by the user: the new rendering replaces it. */
  | 'replaced'
  /** Edited by the user, unchanged by the generator: the user's version stays as it is. */
  | 'kept'
  /** Both changed it; the three-way merge is clean. */
  | 'merged'
  /** Both changed the same lines or keys: conflict markers are written into the file. */
  | 'conflict'
  /** The user deleted a file we generated: left deleted. */
  | 'user-deleted'
  /** A file the new rendering adds. */
  | 'added'
  /** A file we no longer generate: deleted when untouched, kept when the user edited it. */
  | 'removed-by-generator';

export interface FileReport {
  path: string;
  outcome: Outcome;
  /** Notes for the user: how it was merged, where it conflicts, why it was left alone. */
  details: string[];
  /** The file's content before and after (undefined = absent). */
  before: string | undefined;
  after: string | undefined;
}

export interface UpdatePlan {
  files: FileReport[];
  /** Every write, project files and bookkeeping alike, for commitPlan. */
  changes: PlannedChange[];
}

function readFile(path: string): string | undefined {
  try {
    return lstatSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function modeOf(path: string, fallback: number): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return fallback;
  }
}

/** Relative paths of every pristine copy (regular files only). */
function listPristine(projectDir: string): string[] {
  const root = join(projectDir, PRISTINE_DIR);
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

function change(path: string, before: string | undefined, after: string | undefined, mode: number): PlannedChange {
  const kind = after === undefined ? 'delete' : before === undefined ? 'create' : before === after ? 'identical' : 'overwrite';
  return { path, kind, content: after, before, mode };
}

/** Files that still hold markers from an earlier update: merging over them would bury them. */
export function unresolvedConflicts(projectDir: string, rendered: RenderedFile[]): string[] {
  return rendered
    .filter((f) => f.strategy === 'replace')
    .filter((f) => {
      const text = readFile(safeJoin(projectDir, f.path));
      return text !== undefined && hasConflictMarkers(text);
    })
    .map((f) => f.path);
}

function planOne(projectDir: string, file: RenderedFile): FileReport {
  const yours = readFile(safeJoin(projectDir, file.path));
  const base = readFile(safeJoin(projectDir, pristinePath(file.path)));
  const next = file.content;
  const report = (outcome: Outcome, after: string | undefined, details: string[] = []): FileReport => ({
    path: file.path,
    outcome,
    details,
    before: yours,
    after,
  });
  if (yours === undefined) {
    // .gitignore keeps .env and secrets out of git: it comes back even if deleted.
    if (base === undefined || file.strategy === 'append-lines') return report('added', next);
    return report('user-deleted', undefined, ['you deleted it: left deleted']);
  }
  if (yours === next) return report('unchanged', yours);
  if (base !== undefined && yours === base) return report('replaced', next);
  if (base !== undefined && next === base) return report('kept', yours, ['your edits stay; nothing new from the generator']);
  const merged = mergeFile(file.path, yours, base, next);
  if (base === undefined) merged.details.unshift('no pristine copy from the last run: merged as if both sides added everything');
  return report(merged.clean ? 'merged' : 'conflict', merged.text, merged.details);
}

/**
 * `rendered`: the full new rendering (project files, .gitignore lines, the manifest).
 * Pristine copies of the new rendering replace the old ones, conflicted files included, so the
 * next update does not apply the same change twice.
 */
export function planUpdate(projectDir: string, rendered: RenderedFile[]): UpdatePlan {
  // Every file we render merges three ways; .gitignore too (by line, as a set).
  const whole = rendered.filter((f) => f.strategy !== 'owned');
  const files = whole.map((f) => planOne(projectDir, f));
  const changes: PlannedChange[] = [];
  whole.forEach((file, i) => {
    const r = files[i]!;
    if (r.after === undefined) return; // user-deleted: nothing to write
    const target = safeJoin(projectDir, file.path);
    changes.push(change(file.path, r.before, r.after, modeOf(target, file.mode)));
  });

  // Files we generated before and no longer do.
  const renderedPaths = new Set(whole.map((f) => f.path));
  const stalePristine: PlannedChange[] = [];
  for (const path of listPristine(projectDir)) {
    if (renderedPaths.has(path)) continue;
    const pristineFile = safeJoin(projectDir, pristinePath(path));
    const base = readFile(pristineFile);
    stalePristine.push(change(pristinePath(path), base, undefined, 0o644));
    const yours = readFile(safeJoin(projectDir, path));
    if (yours === undefined) {
      files.push({ path, outcome: 'removed-by-generator', details: ['no longer generated (already gone)'], before: undefined, after: undefined });
    } else if (yours === base) {
      files.push({ path, outcome: 'removed-by-generator', details: ['no longer generated: deleted'], before: yours, after: undefined });
      changes.push(change(path, yours, undefined, 0o644));
    } else {
      files.push({
        path,
        outcome: 'removed-by-generator',
        details: ['no longer generated; kept because you edited it (it is yours now: delete it if unused)'],
        before: yours,
        after: yours,
      });
    }
  }

  // Bookkeeping (pristine copies, the manifest) is ours: replaced.
  const others: FileToWrite[] = rendered.filter((f) => f.strategy === 'owned');
  const bookkeeping = planWrite(projectDir, [...others, ...pristineFiles(whole)], { overwrite: true });
  changes.push(...bookkeeping, ...stalePristine);
  return { files, changes };
}
