/**
 * `create-pyimage smok` (meaning `smoke`) would otherwise scaffold a whole stack into a new folder
 * `smok/`. A first argument that is no existing folder and lies close to a command name is refused.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT_USAGE, UserError } from '../errors.js';

/** The subcommands besides generating (commander also answers `help`). */
export const COMMAND_NAMES = ['update', 'smoke', 'audit', 'build', 'sbom', 'dev'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];
const GUARDED = [...COMMAND_NAMES, 'help'];

/** The flag that creates such a folder anyway. */
export const NEW_DIR_FLAG = '--new-dir';

/** Levenshtein distance, with an early stop once it exceeds `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The command `word` probably meant: within edit distance 2 (1 for a three-letter one), or a prefix of it; undefined when none. */
export function nearCommand(word: string): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length === 0) return undefined;
  let best: { name: string; d: number } | undefined;
  for (const name of GUARDED) {
    // A prefix of two letters or more (`sm`, `aud`); a single letter is too common a folder name.
    // Within 2 edits, or 1 for a three-letter command (`dev`), which 2 edits turn into common folder names (`web`).
    const limit = name.length <= 3 ? 1 : 2;
    const d = lower.length >= 2 && name.startsWith(lower) ? 0 : distance(lower, name, limit);
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/**
 * Refuses a directory argument that looks like a mistyped command (exit 2, nothing written), unless it
 * exists already, is written as a path (`./smok`, `smok/`), or came with --new-dir.
 */
export function refuseTypo(dirArg: string | undefined, explicit: boolean): void {
  if (dirArg === undefined || explicit || /[/\\]/.test(dirArg) || existsSync(resolve(dirArg))) return;
  const near = nearCommand(dirArg);
  if (!near) return;
  // `help` is no command here (the root command takes a folder): the usage is --help.
  const meant = near === 'help' ? '--help' : near;
  throw new UserError(
    `"${dirArg}" is not a command: did you mean \`${meant}\`? (create-pyimage ${near === 'help' ? '' : `${near} `}--help)\n` +
      `Nothing was written. To create a new project folder with that name, run create-pyimage ./${dirArg} or create-pyimage ${NEW_DIR_FLAG} ${dirArg}.`,
    EXIT_USAGE,
  );
}
