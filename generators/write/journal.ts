/**
 * The all-or-nothing commit, with a journal so that no interruption leaves a project half-written.
 *
 * Everything lives in one directory beside the project's files, `.create-pyimage-commit/`:
 *   owner      the pid of the process committing (a live owner is never "recovered");
 *   new-<i>    the staged content of change i;
 *   old-<i>    the file change i replaced or deleted, kept until the commit is over;
 *   journal.json  written (atomically) once every file is staged: the list of changes and a state.
 * Each step moves one file with one rename, so the state of every change can be read back from
 * which of new-<i>, old-<i> exist, and redoing or undoing a change is safe to repeat.
 *
 * States, and what the next run does when it finds them (recoverInterruptedCommit):
 *   no journal      killed while staging (nothing in the project changed yet) or while cleaning
 *                   up (the journal goes first): the leftovers are removed.
 *   "prepared"      every new file is staged, the moves may be partial: the commit is finished
 *                   (the journal holds the whole new state, which the command that started it had
 *                   checked; finishing is what the user asked for).
 *   "rolling-back"  a move failed and the undo started (or itself failed): the undo is finished.
 * Files are not fsync'ed: this survives a killed process, not a power cut.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError, EXIT_FAILED } from '../errors.js';

export const COMMIT_DIR = '.create-pyimage-commit';

type State = 'prepared' | 'rolling-back';

interface JournalEntry {
  /** Relative path in the project. */
  path: string;
  /** Whether there is new content (false: a delete). */
  write: boolean;
  /** Whether the target existed when the commit was planned (so old-<i> holds it once moved aside). */
  existed: boolean;
}

interface Journal {
  state: State;
  entries: JournalEntry[];
  /** Directories the commit creates, parents first; removed again (when empty) by an undo. */
  dirs: string[];
}

export interface StagedChange {
  /** Relative to the project, with forward slashes. */
  path: string;
  /** Absolute target path (already checked to be inside the project). */
  target: string;
  content: string | undefined;
  mode: number;
}

export interface Recovery {
  /** `cleaned`: only leftovers were removed (the project was untouched, or already complete). */
  action: 'finished' | 'undone' | 'cleaned';
  /** What the user is told. */
  message: string;
}

const at = (dir: string, name: string) => join(dir, COMMIT_DIR, name);

function writeJournal(projectDir: string, journal: Journal): void {
  const tmp = at(projectDir, 'journal.tmp');
  writeFileSync(tmp, JSON.stringify(journal));
  renameSync(tmp, at(projectDir, 'journal.json'));
}

function readJournal(projectDir: string): Journal | undefined {
  try {
    return JSON.parse(readFileSync(at(projectDir, 'journal.json'), 'utf8')) as Journal;
  } catch {
    return undefined;
  }
}

function ownerAlive(projectDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(at(projectDir, 'owner'), 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** Moves change i into place (idempotent: picks up where an interrupted run stopped). */
function redo(projectDir: string, entry: JournalEntry, i: number, root: string): void {
  const target = join(root, entry.path);
  const staged = at(projectDir, `new-${i}`);
  const backup = at(projectDir, `old-${i}`);
  if (entry.write && !existsSync(staged)) return; // already in place
  if (entry.existed && !existsSync(backup) && existsSync(target)) renameSync(target, backup);
  if (entry.write) renameSync(staged, target);
}

/** Puts change i back as it was (idempotent too: our file goes back to new-<i> first). */
function undo(projectDir: string, entry: JournalEntry, i: number, root: string): void {
  const target = join(root, entry.path);
  const staged = at(projectDir, `new-${i}`);
  const backup = at(projectDir, `old-${i}`);
  if (entry.write && !existsSync(staged) && existsSync(target)) renameSync(target, staged);
  if (existsSync(backup)) renameSync(backup, target);
}

function removeCreatedDirs(dirs: string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(d); // only when empty: never anything the user put there
    } catch {
      // not empty, or already gone
    }
  }
}

/** The journal goes first, so a cleanup cut short is never taken for a commit to finish. */
function cleanup(projectDir: string): void {
  rmSync(at(projectDir, 'journal.json'), { force: true });
  rmSync(join(projectDir, COMMIT_DIR), { recursive: true, force: true });
}

/** Runs every step, even after one fails; throws the first failure at the end. */
function everyStep(count: number, step: (i: number) => void): void {
  let first: unknown;
  for (let i = 0; i < count; i++) {
    try {
      step(i);
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}

/** Undoes every change, last first, then removes the directories the commit created. */
function undoAll(projectDir: string, journal: Journal): void {
  const n = journal.entries.length;
  everyStep(n, (k) => undo(projectDir, journal.entries[n - 1 - k]!, n - 1 - k, projectDir));
  removeCreatedDirs(journal.dirs.map((d) => join(projectDir, d)));
}

export function hasInterruptedCommit(projectDir: string): boolean {
  return existsSync(join(projectDir, COMMIT_DIR));
}

/**
 * Finishes or undoes a commit that a previous run left behind (killed, or a failed undo).
 * Returns what was done, or undefined when there was nothing to recover.
 */
export function recoverInterruptedCommit(projectDir: string): Recovery | undefined {
  if (!existsSync(join(projectDir, COMMIT_DIR))) return undefined;
  const owner = ownerAlive(projectDir);
  if (owner !== undefined) {
    throw new UserError(`another create-pyimage (pid ${owner}) is writing to ${projectDir}; wait for it to finish, then run again`, EXIT_FAILED);
  }
  const journal = readJournal(projectDir);
  const where = `${projectDir}/${COMMIT_DIR}`;
  if (journal === undefined) {
    cleanup(projectDir);
    return { action: 'cleaned', message: `removed ${where}, left by an earlier write that was interrupted before it changed anything (or after it was complete)` };
  }
  const root = projectDir;
  if (journal.state === 'rolling-back') {
    undoAll(projectDir, journal);
    cleanup(projectDir);
    return { action: 'undone', message: `an earlier write had failed half-way; undid it: ${journal.entries.length} files are as they were before it` };
  }
  for (const d of journal.dirs) mkdirSync(join(root, d), { recursive: true });
  journal.entries.forEach((entry, i) => redo(projectDir, entry, i, root));
  cleanup(projectDir);
  return { action: 'finished', message: `an earlier write was interrupted; finished it: ${journal.entries.length} files written as it planned` };
}

/**
 * Stages every change, journals it, moves it into place, and cleans up. On a failure the changes
 * already made are undone; if the undo itself fails, the journal stays (state "rolling-back") and
 * the next run finishes the undo, so the project is never left half-written.
 */
export function commitJournaled(projectDir: string, changes: StagedChange[]): void {
  const dir = join(projectDir, COMMIT_DIR);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(at(projectDir, 'owner'), String(process.pid));
  const root = projectDir;
  const entries: JournalEntry[] = changes.map((c) => ({ path: c.path, write: c.content !== undefined, existed: existsSync(c.target) }));
  const dirs: string[] = [];
  for (const c of changes) {
    const missing: string[] = [];
    for (let d = dirname(c.target); d.length > root.length && !existsSync(d); d = dirname(d)) missing.unshift(d.slice(root.length + 1));
    for (const m of missing) if (!dirs.includes(m)) dirs.push(m);
  }
  const journal: Journal = { state: 'prepared', entries, dirs };
  try {
    changes.forEach((change, i) => {
      if (change.content === undefined) return;
      const staged = at(projectDir, `new-${i}`);
      writeFileSync(staged, change.content, { mode: change.mode });
      chmodSync(staged, change.mode);
    });
    writeJournal(projectDir, journal);
  } catch (error) {
    cleanup(projectDir); // nothing in the project changed yet
    throw error;
  }
  try {
    for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
    entries.forEach((entry, i) => redo(projectDir, entry, i, root));
  } catch (error) {
    try {
      writeJournal(projectDir, { ...journal, state: 'rolling-back' });
      undoAll(projectDir, journal);
    } catch (undoError) {
      throw new UserError(
        `writing to ${projectDir} failed (${(error as Error).message}), and so did putting it back (${(undoError as Error).message}).\n` +
          `The journal in ${dir} records every file: fix the cause, then run create-pyimage again there; it finishes the undo first.`,
        EXIT_FAILED,
      );
    }
    cleanup(projectDir);
    throw error;
  }
  cleanup(projectDir);
}
