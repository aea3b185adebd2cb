/**
 * One file's three-way merge: structural for YAML (compose files), by key for sets of lines
 * (.env.example, .env, .gitignore), line-based (diff3) for everything else (Dockerfile, scripts),
 * and line-based for YAML too when the structure cannot hold the result (conflicts, anchors, a
 * file that does not parse).
 */
import { diffComm } from 'node-diff3';
import { parseAllDocuments } from 'yaml';
import { keyedKind, mergeKeyed } from './key-merge.js';
import { mergeLines, wholeFileConflict } from './line-merge.js';
import { mergeYaml } from './yaml-merge.js';

export interface FileMerge {
  clean: boolean;
  text: string;
  /** How it was merged, and where it conflicts: shown to the user. */
  details: string[];
}

export function isYamlPath(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

/**
 * Without a pristine copy, the lines both versions share stand in for it: what only one side
 * has counts as that side's addition (kept), and only lines the two sides changed differently
 * at the same place conflict. (A line the generator dropped since then survives: nothing is lost.)
 */
export function syntheticBase(yours: string, next: string): string {
  const common = diffComm(yours.split('\n'), next.split('\n')).flatMap((c) => c.common ?? []);
  return common.join('\n');
}

function lineMerge(yours: string, base: string | undefined, next: string, details: string[]): FileMerge {
  const result = mergeLines(yours, base ?? syntheticBase(yours, next), next);
  if (result.conflictLines.length > 0) {
    details.push(`conflict markers at line${result.conflictLines.length > 1 ? 's' : ''} ${result.conflictLines.join(', ')}`);
    return { clean: false, text: result.text, details };
  }
  return { clean: true, text: result.text, details };
}

/** `base` undefined: no pristine copy, so every difference between the two sides is a change by both. */
export function mergeFile(path: string, yours: string, base: string | undefined, next: string): FileMerge {
  const kind = keyedKind(path);
  if (kind) {
    const keyed = mergeKeyed(kind, yours, base, next);
    if (keyed.conflicts.length === 0) return { clean: true, text: keyed.text, details: [kind === 'env' ? 'merged by key' : 'merged line by line as a set'] };
    const lines = keyed.conflictLines;
    return {
      clean: false,
      text: keyed.text,
      details: [`both sides changed ${keyed.conflicts.join(', ')}: conflict markers at line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}`],
    };
  }
  if (!isYamlPath(path)) return lineMerge(yours, base, next, []);
  const structural = mergeYaml(yours, base, next);
  if (structural.kind === 'merged') return { clean: true, text: structural.text, details: ['merged by YAML structure'] };
  const details =
    structural.kind === 'conflict'
      ? [`both sides changed ${structural.paths.join(', ')}: merged line by line instead`]
      : [`${structural.reason}: merged line by line instead`];
  const merged = lineMerge(yours, base, next, details);
  // Every document is checked: a Kubernetes manifest holds several.
  if (merged.clean && [parseAllDocuments(merged.text)].flat().some((d) => d.errors.length > 0)) {
    // A clean text merge that is not valid YAML (e.g. a duplicate key) must not pass as merged.
    details.push('the line merge is not valid YAML: both versions kept between conflict markers');
    return { clean: false, text: wholeFileConflict(yours, base ?? '', next).text, details };
  }
  return merged;
}
