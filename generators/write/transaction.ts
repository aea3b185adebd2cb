/**
 * The three steps every writing command shares (generate and update alike): recover a write an
 * earlier run left half-done, show a dry run, and commit all-or-nothing with signals held back.
 */
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { hasInterruptedCommit, recoverInterruptedCommit } from './journal.js';
import { commitPlan, diffOf, type PlannedChange } from './tree.js';

/**
 * Before anything is read: a write that an earlier run left half-done is finished or undone (and
 * said so to `note`). A dry run writes nothing, so it refuses instead.
 */
export function recoverFirst(dir: string, dryRun: boolean | undefined, note: (line: string) => void): void {
  if (dryRun && hasInterruptedCommit(dir)) {
    throw new InputError(`an earlier write to ${dir} was interrupted: run again without --dry-run to finish or undo it first`);
  }
  const recovered = existsSync(dir) ? recoverInterruptedCommit(dir) : undefined;
  if (recovered) note(`  note: ${recovered.message}`);
}

/** The unified diffs of a plan, one block per changed file, for a dry run. */
export function planDiffs(plan: PlannedChange[]): string[] {
  return plan.map(diffOf).filter((diff) => diff !== '');
}

/** Runs `commit` with SIGINT/SIGTERM/SIGHUP held back, so a signal cannot land mid-commit. */
function withSignalsDeferred(commit: () => void): void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let received: NodeJS.Signals | undefined;
  const hold = (signal: NodeJS.Signals) => {
    received ??= signal;
  };
  for (const s of signals) process.on(s, hold);
  try {
    commit();
  } finally {
    for (const s of signals) process.off(s, hold);
  }
  if (received) {
    // The write is complete; honour the interruption now.
    process.kill(process.pid, received);
  }
}

export type Commit = (dir: string, plan: PlannedChange[], note: (line: string) => void) => void;

/** Writes the plan all-or-nothing (through the journal), a signal waiting until it is done. */
export function commitAll(dir: string, plan: PlannedChange[], note: (line: string) => void, commit: Commit = commitPlan): void {
  withSignalsDeferred(() => commit(dir, plan, note));
}
