/**
 * Where code scanning shows a finding. GitHub's SARIF upload (sarif-sdk rule GH1003 and friends) wants
 * every result at a line (`region.startLine` >= 1) of a file in the repository, but some findings are
 * about a missing file (no `.dockerignore`, no `.gitignore`) or a whole file (line 0). Those get an
 * `anchor`: the line that makes the missing file matter (the Dockerfile's `COPY .`, compose's
 * `build.context`, the compose `file:` of a secret), else line 1 of the file the finding is about.
 */
import type { Finding } from './types.js';
import { basename, dirname } from './util.js';

interface Known {
  path: string;
  content: string;
}

const lineCount = (content: string) => content.split(/\r?\n/).length;

/** 1-based number of the first line matching `test`, or undefined. */
function lineWhere(content: string, test: (line: string) => boolean): number | undefined {
  const i = content.split(/\r?\n/).findIndex(test);
  return i < 0 ? undefined : i + 1;
}

/** A `COPY`/`ADD` whose sources include the whole context (`.` or `./`). */
function copiesContext(line: string): boolean {
  const m = /^\s*(COPY|ADD)\s+(.*)$/i.exec(line);
  if (!m) return false;
  const words = m[2]!.trim().split(/\s+/).filter((w) => !w.startsWith('--'));
  return words.slice(0, -1).some((w) => w === '.' || w === './');
}

/** The build instructions that put a directory's files into an image: for a missing `.dockerignore` there. */
function contextLine(dir: string, known: Known[]): { file: string; line: number } | undefined {
  const here = known.filter((k) => dirname(k.path) === dir);
  for (const d of here.filter((k) => /(^|\.)dockerfile$|^dockerfile(\.|$)/i.test(basename(k.path)))) {
    const line = lineWhere(d.content, copiesContext) ?? lineWhere(d.content, (l) => /^\s*(COPY|ADD)\s/i.test(l));
    if (line) return { file: d.path, line };
  }
  for (const c of here.filter((k) => /(^|-)compose[^/]*\.ya?ml$/i.test(basename(k.path)))) {
    const line = lineWhere(c.content, (l) => /^\s*context:\s*["']?\.\/?["']?\s*$/.test(l) || /^\s*build:\s*["']?\.\/?["']?\s*$/.test(l));
    if (line) return { file: c.path, line };
  }
  return undefined;
}

/** The compose line that names `file` (a secret's `file:`), when the file itself was not read. */
function referenceLine(file: string, known: Known[]): { file: string; line: number } | undefined {
  for (const c of known.filter((k) => /compose[^/]*\.ya?ml$|stack[^/]*\.ya?ml$/i.test(basename(k.path)))) {
    const line = lineWhere(c.content, (l) => l.includes(basename(file)) && /\bfile:/.test(l));
    if (line) return { file: c.path, line };
  }
  return undefined;
}

/** Sets `anchor` on every finding whose `file:line` is not a line of a file that was read. */
export function anchorFindings(findings: Finding[], known: Known[]): void {
  const byPath = new Map(known.map((k) => [k.path, k]));
  const at = (file: string, line: number) => {
    const k = byPath.get(file);
    return k !== undefined && line >= 1 && line <= lineCount(k.content);
  };
  const fallback = known.find((k) => /dockerfile/i.test(basename(k.path))) ?? known.find((k) => /compose/i.test(basename(k.path))) ?? known[0];
  for (const f of findings) {
    if (at(f.file, f.line)) {
      delete f.anchor;
      continue;
    }
    const candidates = [
      f.anchor && at(f.anchor.file, f.anchor.line) ? f.anchor : undefined,
      f.anchor && !byPath.has(f.anchor.file) ? referenceLine(f.anchor.file, known) : undefined,
      byPath.has(f.file) ? { file: f.file, line: Math.min(Math.max(1, f.line), lineCount(byPath.get(f.file)!.content)) } : undefined,
      basename(f.file) === '.dockerignore' ? contextLine(dirname(f.file), known) : undefined,
      fallback ? { file: fallback.path, line: 1 } : undefined,
    ];
    const chosen = candidates.find((c) => c !== undefined);
    if (chosen) f.anchor = chosen;
    else delete f.anchor;
  }
}
