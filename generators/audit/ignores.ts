/**
 * Reasoned ignores: inline `# create-pyimage: ignore=CP-06 reason="..."` comments (on the line
 * of the finding, or on a comment line above it; in the file's leading comments also for
 * findings about the whole file) and the config file's `ignore:` entries.
 * An ignore that silences nothing, or has expired, is itself reported (PI-10).
 */
import { isIgnored, parseDockerignore } from './dockerignore.js';
import { RULES, finding } from './rules.js';
import { AuditInputError, type AuditConfig, type Finding, type SuppressedFinding } from './types.js';

export interface InlineIgnore {
  file: string;
  /** The comment's line. */
  line: number;
  /** The line it covers: its own when it trails code, else the next non-comment line. */
  target: number;
  rules: string[];
  reason: string;
  /** In the file's leading comment block: also covers findings about the file as a whole (lines 0 and 1). */
  header: boolean;
}

const MARKER = /#\s*create-pyimage:\s*ignore\s*=\s*([A-Za-z0-9_,\s-]*?)(?:\s+reason\s*=\s*(?:"([^"]*)"|'([^']*)'))?\s*$/;
const LOOSE = /#\s*create-pyimage:\s*ignore\b/;

/** Inline ignores of one file. Unknown rule ids and missing reasons are input errors (exit 2). */
export function parseInlineIgnores(file: string, content: string, kind?: string): InlineIgnore[] {
  const lines = content.split(/\r?\n/);
  const out: InlineIgnore[] = [];
  lines.forEach((text, i) => {
    if (!LOOSE.test(text)) return;
    const line = i + 1;
    const where = `${file}:${line}`;
    const m = MARKER.exec(text);
    if (!m) throw new AuditInputError(`${where}: cannot read the ignore comment; write it as # create-pyimage: ignore=CP-06 reason="why this is acceptable"`);
    const rules = m[1]!.split(',').map((r) => r.trim()).filter((r) => r !== '');
    if (rules.length === 0) throw new AuditInputError(`${where}: ignore= names no rule id (e.g. ignore=CP-06)`);
    for (const id of rules) {
      if (!(id in RULES)) throw new AuditInputError(`${where}: ignore=${id} is not a rule create-pyimage audit knows (ids look like CP-06)`);
    }
    const reason = (m[2] ?? m[3] ?? '').trim();
    if (reason === '') throw new AuditInputError(`${where}: ignore=${rules.join(',')} needs a reason: add reason="why this is acceptable here"`);
    const commentOnly = text.trimStart().startsWith('#');
    if (!commentOnly && kind === 'dockerfile') {
      throw new AuditInputError(`${where}: a Dockerfile has no end-of-line comments (Docker would pass the text to the instruction): put the ignore on its own line above`);
    }
    let target = line;
    if (commentOnly) {
      target = line + 1;
      while (target <= lines.length && /^\s*#/.test(lines[target - 1]!)) target++;
    }
    const header = lines.slice(0, i).every((l) => /^\s*(#.*)?$/.test(l)) && commentOnly;
    out.push({ file, line, target, rules, reason, header });
  });
  return out;
}

function matchesPath(glob: string | undefined, file: string): boolean {
  if (glob === undefined) return true;
  return isIgnored(parseDockerignore(glob), file);
}

/**
 * Splits findings into kept and suppressed, and adds PI-10 findings for ignores that matched
 * nothing or have expired. `today` is YYYY-MM-DD.
 */
export function applyIgnores(
  findings: Finding[],
  inline: InlineIgnore[],
  config: AuditConfig | undefined,
  today: string,
): { kept: Finding[]; suppressed: SuppressedFinding[]; problems: Finding[] } {
  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const problems: Finding[] = [];
  const used = new Set<object>();
  const usedRules = new Map<InlineIgnore, Set<string>>();
  const active = (config?.ignore ?? []).filter((entry) => {
    if (entry.expires !== undefined && entry.expires < today) {
      problems.push(finding('PI-10', config!.path, entry.line, `the ignore of ${entry.rule}${entry.path ? ` in ${entry.path}` : ''} expired on ${entry.expires}: its findings are reported again`));
      return false;
    }
    return true;
  });
  for (const f of findings) {
    const own = inline.find((ig) => ig.file === f.file && (ig.target === f.line || (ig.header && f.line <= 1)) && ig.rules.includes(f.ruleId));
    if (own) {
      usedRules.set(own, (usedRules.get(own) ?? new Set()).add(f.ruleId));
      suppressed.push({ finding: f, reason: own.reason, source: `${own.file}:${own.line}`, kind: 'inSource' });
      continue;
    }
    const entry = active.find((e) => e.rule === f.ruleId && matchesPath(e.path, f.file));
    if (entry) {
      used.add(entry);
      suppressed.push({ finding: f, reason: entry.reason, source: `${config!.path}:${entry.line}`, kind: 'external' });
      continue;
    }
    kept.push(f);
  }
  for (const ig of inline) {
    const unused = ig.rules.filter((r) => !usedRules.get(ig)?.has(r));
    if (unused.length > 0) problems.push(finding('PI-10', ig.file, ig.line, `ignore=${unused.join(',')} matches no finding on line ${ig.target}`));
  }
  for (const entry of active) {
    if (!used.has(entry)) problems.push(finding('PI-10', config!.path, entry.line, `the ignore of ${entry.rule}${entry.path ? ` in ${entry.path}` : ''} matches no finding`));
  }
  return { kept, suppressed, problems };
}
