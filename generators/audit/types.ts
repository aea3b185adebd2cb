/** Shapes shared by every audit module. No logic here. */

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** Most severe first: the order used for sorting, grouping and `--fail-on`. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** One problem at one place. `line` is 1-based; 0 means the file as a whole (or a missing file). */
export interface Finding {
  ruleId: string;
  severity: Severity;
  file: string;
  line: number;
  /** What is wrong here, in this file. */
  message: string;
  /** Why it matters (from the rule table). */
  why: string;
  /** How to fix it: a corrected snippet or the command that regenerates the file. */
  fix: string;
}

/** A file handed to `auditFiles`: a path relative to the project root, with `/` separators. */
export interface AuditFile {
  path: string;
  content: string;
  /** Unix permission bits, when known (used for the executable-bit check on scripts). */
  mode?: number;
}

/** One ShellCheck comment as printed by `shellcheck -f json`. */
export interface ShellcheckComment {
  file?: string;
  line: number;
  endLine?: number;
  column?: number;
  endColumn?: number;
  level: 'error' | 'warning' | 'info' | 'style' | string;
  code: number;
  message: string;
}

/** Runs ShellCheck on one script's text; returns its comments, or null when it could not run. */
export type ShellcheckRunner = (content: string, path: string) => ShellcheckComment[] | null;

export interface AuditOptions {
  /**
   * 'auto' (default): use `shellcheck` from PATH when it is installed, else the built-in minimal checks.
   * 'off': always the built-in checks. A function: use it (tests inject canned ShellCheck output).
   */
  shellcheck?: 'auto' | 'off' | ShellcheckRunner;
}

export interface AuditSummary {
  critical: number;
  high: number;
  medium: number;
  low: number;
  total: number;
  grade: Grade;
  /** How many files were recognised and read. */
  files: number;
}

export type Grade = 'A' | 'B' | 'C' | 'D' | 'F';

export interface AuditReport {
  summary: AuditSummary;
  /** Sorted: severity (most severe first), then file, then line. */
  findings: Finding[];
  /** Facts about how the audit ran (e.g. which script checker was used). */
  notes: string[];
  /** The recognised files, by kind. */
  files: { path: string; kind: FileKind }[];
}

export type FileKind = 'dockerfile' | 'compose' | 'stack' | 'env' | 'dockerignore' | 'script';
