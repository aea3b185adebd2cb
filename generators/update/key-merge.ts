/**
 * Key-wise three-way merge for files that are sets, not sequences: `.env.example` / `.env`
 * (KEY=value lines, read with dotenv's parser) and `.gitignore` (one pattern a line). Lines are
 * compared by key, so two sides that only added keys never conflict, wherever they added them.
 * Per key: unchanged by one side -> the other side's version (a value change, an addition, or a
 * deletion: a key the user deleted stays deleted); the same on both sides -> that; two different
 * values -> a conflict, written with the diff3 markers line-merge uses, around that one line.
 */
import { parse } from 'dotenv';
import { MARKER_BASE, MARKER_NEW, MARKER_SEP, MARKER_YOURS } from './line-merge.js';

export type KeyedKind = 'env' | 'lines';

/** Which files merge key-wise, and how their lines are keyed. */
export function keyedKind(path: string): KeyedKind | undefined {
  const name = path.split('/').pop() ?? path;
  if (name === '.gitignore') return 'lines';
  if (/^\.env(\..+)?$/.test(name) || name.endsWith('.env')) return 'env';
  return undefined;
}

interface Entry {
  key: string;
  /** Comment and blank lines right above it (they travel with the key). */
  lead: string[];
  line: string;
  /** What decides "changed": the parsed value for env lines, the line itself for patterns. */
  value: string;
}

interface Parsed {
  entries: Map<string, Entry>;
  order: string[];
  /** Comment and blank lines after the last key. */
  tail: string[];
}

/** The key of a line, or undefined for comments, blanks and lines that are not KEY=value. */
function keyOf(kind: KeyedKind, line: string): { key: string; value: string } | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  if (kind === 'lines') return { key: trimmed, value: trimmed };
  const pairs = Object.entries(parse(line));
  if (pairs.length !== 1) return undefined;
  const [key, value] = pairs[0]!;
  return { key, value };
}

function parseKeyed(kind: KeyedKind, text: string): Parsed {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const entries = new Map<string, Entry>();
  const order: string[] = [];
  let lead: string[] = [];
  for (const line of lines) {
    const kv = keyOf(kind, line);
    if (!kv || entries.has(kv.key)) {
      // A repeated key: the first one wins for dotenv and compose; the repeat is kept as text.
      lead.push(line);
      continue;
    }
    entries.set(kv.key, { key: kv.key, lead, line, value: kv.value });
    order.push(kv.key);
    lead = [];
  }
  return { entries, order, tail: lead };
}

const same = (a: string[] | undefined, b: string[] | undefined) => a !== undefined && b !== undefined && a.join('\n') === b.join('\n');
const leadEq = (a: string[] | undefined, b: string[] | undefined) => (a === undefined ? b === undefined : same(a, b));

/** Three-way pick for one part: the side that changed it wins; undefined when both changed it differently. */
function pick<T>(yours: T, base: T, next: T, eq: (a: T, b: T) => boolean): { value: T } | undefined {
  if (eq(yours, next)) return { value: yours };
  if (eq(yours, base)) return { value: next };
  if (eq(next, base)) return { value: yours };
  return undefined;
}

export interface KeyedMergeResult {
  text: string;
  /** Keys both sides set to different values (conflict markers in `text`). */
  conflicts: string[];
  /** 1-based lines in `text` where each conflict block starts. */
  conflictLines: number[];
}

/**
 * `base` undefined (no pristine copy): every key only one side has counts as that side's addition,
 * and a key both have with different values is a conflict.
 */
export function mergeKeyed(kind: KeyedKind, yours: string, base: string | undefined, next: string): KeyedMergeResult {
  const y = parseKeyed(kind, yours);
  const o = parseKeyed(kind, base ?? '');
  const n = parseKeyed(kind, next);
  const valueEq = (a: Entry | undefined, b: Entry | undefined) => (a === undefined ? b === undefined : b !== undefined && a.value === b.value);
  const out: string[] = [];
  const conflicts: string[] = [];
  const conflictLines: number[] = [];

  const emit = (key: string, mine: Entry | undefined) => {
    const theirs = n.entries.get(key);
    const old = o.entries.get(key);
    let chosen = pick(mine, old, theirs, valueEq);
    // A deletion against a change: nothing is lost by keeping the side that still has the key,
    // except that a key you deleted stays deleted.
    if (chosen === undefined && (mine === undefined || theirs === undefined)) chosen = { value: mine };
    // Comments above a key follow the same rule; if both sides rewrote them, yours stay.
    const lead = pick(mine?.lead, old?.lead, theirs?.lead, leadEq)?.value ?? mine?.lead ?? [];
    if (chosen === undefined) {
      conflicts.push(key);
      out.push(...lead);
      conflictLines.push(out.length + 1);
      out.push(MARKER_YOURS, ...(mine ? [mine.line] : []), MARKER_BASE, ...(old ? [old.line] : []), MARKER_SEP, ...(theirs ? [theirs.line] : []), MARKER_NEW);
      return;
    }
    if (chosen.value === undefined) {
      // Deleted (by you, or by the generator on a key you had not changed): its comments go too,
      // unless they are yours.
      if (mine && !same(mine.lead, old?.lead)) out.push(...mine.lead);
      return;
    }
    out.push(...lead, chosen.value.line);
  };

  // Your order first; then keys only the generator has, each after the key it follows there.
  const placed = new Set<string>();
  const after = new Map<string | undefined, string[]>();
  let previous: string | undefined;
  for (const key of n.order) {
    if (y.entries.has(key)) previous = key;
    else after.set(previous, [...(after.get(previous) ?? []), key]);
  }
  const emitNew = (anchor: string | undefined) => {
    for (const key of after.get(anchor) ?? []) {
      if (placed.has(key)) continue;
      placed.add(key);
      emit(key, undefined);
    }
  };
  for (const key of y.order) {
    emit(key, y.entries.get(key));
    placed.add(key);
    emitNew(key);
  }
  emitNew(undefined);
  out.push(...y.tail);
  return { text: out.length === 0 ? '' : `${out.join('\n')}\n`, conflicts, conflictLines };
}
