/**
 * `audit --fix`: the mechanical fixes, computed in memory from a report. Compose files are edited
 * through the `yaml` Document API (comments and layout survive); scripts get the quotes ShellCheck
 * suggests (or the built-in scanner finds). Anything that needs judgement stays a finding.
 * Writing (all-or-nothing) is the caller's job.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Pair, type YAMLMap } from 'yaml';
import { unquotedExpansions } from './shell.js';
import type { AuditFile, Finding, ShellcheckComment, ShellcheckRunner } from './types.js';

export interface FixedFile {
  path: string;
  content: string;
  mode?: number;
  /** Rule ids fixed in this file, one entry per fix. */
  fixed: string[];
}

/** Is this finding one `--fix` can settle without judgement? */
export function isFixable(f: Finding): boolean {
  if (f.ruleId === 'CP-01' || f.ruleId === 'CP-04' || f.ruleId === 'CP-21') return true;
  if (f.ruleId === 'CP-03') return /no `cap_drop: \[ALL\]`/.test(f.message);
  if (f.ruleId === 'CP-22') return /without `init: true`/.test(f.message);
  if (f.ruleId === 'SH-05') return /^unquoted expansion/.test(f.message);
  return false;
}

function serviceAt(doc: Document.Parsed, lineCounter: LineCounter, line: number): YAMLMap | undefined {
  const services = doc.get('services');
  if (!isMap(services)) return undefined;
  for (const pair of services.items as Pair[]) {
    const start = (pair.key as { range?: [number, number, number] }).range?.[0];
    const end = (pair.value as { range?: [number, number, number] } | null)?.range?.[2];
    if (start === undefined || end === undefined || !isMap(pair.value)) continue;
    if (lineCounter.linePos(start).line <= line && line <= lineCounter.linePos(Math.max(start, end - 1)).line) return pair.value;
  }
  return undefined;
}

/** Append `item` to the sequence at `key` (created when missing) unless it is there already. */
function addToSeq(doc: Document.Parsed, svc: YAMLMap, key: string, item: string, same: (value: string) => boolean): boolean {
  const node = svc.get(key, true);
  if (node === undefined) {
    svc.set(key, doc.createNode([item], { flow: false }));
    return true;
  }
  if (!isSeq(node)) return false;
  if (node.items.some((x) => isScalar(x) && same(String(x.value)))) return false;
  node.add(doc.createNode(item));
  return true;
}

function fixCompose(file: AuditFile, findings: Finding[]): FixedFile | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(file.content, { lineCounter });
  if (doc.errors.length > 0) return undefined;
  const fixed: string[] = [];
  for (const f of findings) {
    if (f.ruleId === 'CP-01') {
      if (isMap(doc.contents) && doc.has('version')) {
        // Comments above `version:` belong to the file, not to the key: keep them on what follows.
        const items = doc.contents.items as Pair[];
        const at = items.findIndex((p) => isScalar(p.key) && p.key.value === 'version');
        const key = items[at]!.key as { commentBefore?: string | null };
        const next = items[at + 1]?.key as { commentBefore?: string | null } | undefined;
        if (key.commentBefore) {
          if (at === 0) doc.commentBefore = [doc.commentBefore, key.commentBefore].filter(Boolean).join('\n');
          else if (next) next.commentBefore = [key.commentBefore, next.commentBefore].filter(Boolean).join('\n');
        }
        doc.delete('version');
        fixed.push('CP-01');
      }
      continue;
    }
    const svc = serviceAt(doc, lineCounter, f.line);
    if (!svc) continue;
    if (f.ruleId === 'CP-04' && addToSeq(doc, svc, 'security_opt', 'no-new-privileges:true', (v) => /^no-new-privileges(:true|=true)?$/.test(v))) fixed.push('CP-04');
    if (f.ruleId === 'CP-03' && addToSeq(doc, svc, 'cap_drop', 'ALL', (v) => v.toUpperCase().replace(/^CAP_/, '') === 'ALL')) fixed.push('CP-03');
    if (f.ruleId === 'CP-22' && svc.get('init') !== true) {
      svc.set('init', true);
      fixed.push('CP-22');
    }
    if (f.ruleId === 'CP-21') {
      const logging = svc.get('logging', true);
      if (logging === undefined) {
        svc.set('logging', doc.createNode({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } }));
        fixed.push('CP-21');
      } else if (isMap(logging) && (logging.get('driver') ?? 'json-file') === 'json-file') {
        if (!logging.has('driver')) logging.set('driver', 'json-file');
        const options = logging.get('options', true);
        if (options === undefined) logging.set('options', doc.createNode({ 'max-size': '10m', 'max-file': '3' }));
        else if (isMap(options)) {
          if (!options.has('max-size')) options.set('max-size', '10m');
          if (!options.has('max-file')) options.set('max-file', '3');
        }
        fixed.push('CP-21');
      }
    }
  }
  if (fixed.length === 0) return undefined;
  const content = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  return content === file.content ? undefined : { path: file.path, content, mode: file.mode, fixed };
}

/** Offset of a 1-based (line, column) in text (ShellCheck's json1 counts a tab as one column). */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = text.indexOf('\n', offset) + 1;
  return offset + column - 1;
}

const QUOTE_CODES = new Set([2086, 2046, 2248]);

/** Quote the expansions ShellCheck flags (its own edits), or those the built-in scanner finds. */
function fixScript(file: AuditFile, lines: Set<number>, shellcheck: ShellcheckRunner | null): FixedFile | undefined {
  const edits: { offset: number; text: string }[] = [];
  const comments: ShellcheckComment[] | null = shellcheck ? shellcheck(file.content, file.path) : null;
  if (comments) {
    for (const c of comments) {
      if (!QUOTE_CODES.has(c.code) || !lines.has(c.line) || !c.fix) continue;
      for (const r of c.fix.replacements) {
        if (r.line !== r.endLine || r.column !== r.endColumn) continue; // only insertions (quotes)
        edits.push({ offset: offsetOf(file.content, r.line, r.column), text: r.replacement });
      }
    }
  } else {
    for (const e of unquotedExpansions(file.content)) {
      if (!lines.has(e.line) || e.text === '$(…)') continue;
      edits.push({ offset: e.offset, text: '"' }, { offset: e.offset + e.text.length, text: '"' });
    }
  }
  if (edits.length === 0) return undefined;
  const unique = [...new Map(edits.map((e) => [`${e.offset}|${e.text}`, e])).values()].sort((a, b) => b.offset - a.offset);
  let content = file.content;
  for (const e of unique) content = content.slice(0, e.offset) + e.text + content.slice(e.offset);
  return { path: file.path, content, mode: file.mode, fixed: [...lines].map(() => 'SH-05') };
}

/** The files `--fix` would change, with what it fixed in each. */
export function computeFixes(files: AuditFile[], findings: Finding[], shellcheck: ShellcheckRunner | null): FixedFile[] {
  const out: FixedFile[] = [];
  const fixable = findings.filter(isFixable);
  for (const file of files) {
    const mine = fixable.filter((f) => f.file === file.path);
    if (mine.length === 0) continue;
    const result = mine[0]!.ruleId.startsWith('SH-')
      ? fixScript(file, new Set(mine.map((f) => f.line)), shellcheck)
      : fixCompose(file, mine);
    if (result) out.push(result);
  }
  return out;
}
