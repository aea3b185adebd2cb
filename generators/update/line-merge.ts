/**
 * Line-based three-way merge (Dockerfile, scripts, README, .dockerignore) with
 * node-diff3: the user's version, the pristine version generated last time, the new rendering.
 * Conflicts are written with the standard diff3 markers so any editor or `git mergetool` knows them.
 */
import { diff3Merge } from 'node-diff3';

export const MARKER_YOURS = '<<<<<<< yours';
export const MARKER_BASE = '||||||| generated (previous)';
export const MARKER_SEP = '=======';
export const MARKER_NEW = '>>>>>>> generated (new)';

export interface LineMergeResult {
  text: string;
  /** 1-based line numbers (in `text`) where each conflict block starts; empty when clean. */
  conflictLines: number[];
}

/** Splits into lines; a final newline yields a trailing '' so it round-trips through join('\n'). */
function lines(text: string): string[] {
  return text.split('\n');
}

export function mergeLines(yours: string, base: string, next: string): LineMergeResult {
  const a = lines(yours);
  const o = lines(base);
  const b = lines(next);
  // The trailing '' (text ending in a newline) must not take part in the merge as a line of its
  // own: two sides appending at the end would otherwise "conflict" over the empty string.
  const endsA = a[a.length - 1] === '' && a.length > 1;
  const endsB = b[b.length - 1] === '' && b.length > 1;
  const endsO = o[o.length - 1] === '' && o.length > 1;
  if (endsA) a.pop();
  if (endsB) b.pop();
  if (endsO) o.pop();
  const out: string[] = [];
  const conflictLines: number[] = [];
  for (const region of diff3Merge(a, o, b, { excludeFalseConflicts: true })) {
    if (region.ok) {
      out.push(...region.ok);
    } else if (region.conflict) {
      conflictLines.push(out.length + 1);
      out.push(MARKER_YOURS, ...region.conflict.a, MARKER_BASE, ...region.conflict.o, MARKER_SEP, ...region.conflict.b, MARKER_NEW);
    }
  }
  // Keep the final newline when either side has one (the generator always writes one).
  const trailing = endsA || endsB ? '\n' : '';
  return { text: out.length === 0 ? trailing : `${out.join('\n')}${trailing}`, conflictLines };
}

/** Whole-file conflict: used when a merge cannot be trusted (e.g. a YAML merge that does not parse). */
export function wholeFileConflict(yours: string, base: string, next: string): LineMergeResult {
  const strip = (t: string) => (t.endsWith('\n') ? t.slice(0, -1) : t);
  const text = [MARKER_YOURS, strip(yours), MARKER_BASE, strip(base), MARKER_SEP, strip(next), MARKER_NEW].join('\n');
  return { text: `${text}\n`, conflictLines: [1] };
}

/** Whether a text still holds conflict markers we wrote (a user who has not resolved them yet). */
export function hasConflictMarkers(text: string): boolean {
  return text.split('\n').some((l) => l === MARKER_YOURS || l === MARKER_NEW);
}
