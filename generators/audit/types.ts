/** Shapes shared by every audit module. No logic here. */
import { InputError } from '../errors.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** Most severe first: the order used for sorting, grouping and `--fail-on`. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** A rule of the audit, by id in rules.ts: the text every finding of it carries. */
export interface Rule {
  severity: Severity;
  title: string;
  why: string;
  fix: string;
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
  /**
   * Stable identity across runs (set by `auditFiles`): a hash of the rule, the file, the offending
   * line's text (whitespace-normalised) and its occurrence among identical lines, so it survives
   * lines moving up or down.
   */
  fingerprint?: string;
  /**
   * Where code scanning shows it (SARIF), when `file:line` is no line of a file that exists: a missing
   * file's finding sits on the line that makes it matter, a whole file's on its line 1 (anchor.ts).
   */
  anchor?: { file: string; line: number };
}

/** A finding an inline ignore or the config file silenced, with the reason given for it. */
export interface SuppressedFinding {
  finding: Finding;
  reason: string;
  /** Where the ignore is: `Dockerfile:12` (inline) or `.create-pyimage-audit.yml:7`. */
  source: string;
  kind: 'inSource' | 'external';
}

/** Bad input the user must fix (unknown rule id in an ignore, bad config): the CLI exits 2. */
export class AuditInputError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'AuditInputError';
  }
}

/** A file handed to `auditFiles`: a path relative to the project root, with `/` separators. */
export interface AuditFile {
  path: string;
  content: string;
  /** Unix permission bits, when known (used for the executable-bit check on scripts). */
  mode?: number;
}

/** One ShellCheck comment as printed by `shellcheck -f json1` (`fix` only there). */
export interface ShellcheckComment {
  file?: string;
  line: number;
  endLine?: number;
  column?: number;
  endColumn?: number;
  level: 'error' | 'warning' | 'info' | 'style' | string;
  code: number;
  message: string;
  /** ShellCheck's suggested edit (json1 output), e.g. the quotes SC2086 asks for. */
  fix?: { replacements: ShellcheckReplacement[] } | null;
}

export interface ShellcheckReplacement {
  line: number;
  endLine: number;
  column: number;
  endColumn: number;
  replacement: string;
  insertionPoint?: string;
  precedence?: number;
}

/** Runs ShellCheck on one script's text; returns its comments, or null when it could not run. */
export type ShellcheckRunner = (content: string, path: string) => ShellcheckComment[] | null;

export interface AuditOptions {
  /**
   * 'auto' (default): use `shellcheck` from PATH when it is installed, else the built-in minimal checks.
   * 'off': always the built-in checks. A function: use it (tests inject canned ShellCheck output).
   */
  shellcheck?: 'auto' | 'off' | ShellcheckRunner;
  /**
   * With the installed ShellCheck: the text it checks in place of a script's content (default: the
   * content). The generator's self-check passes each script rendered with a placeholder project name,
   * so one cached result serves every new project (generated.ts says why that stays sound).
   */
  shellcheckAs?: (content: string) => string;
  /** The project's `.create-pyimage-audit.yml`, already validated (see config.ts). */
  config?: AuditConfig;
  /** Today as YYYY-MM-DD, for ignore expiry (default: the real date, UTC). */
  today?: string;
}

/** `.create-pyimage-audit.yml`, validated. */
export interface AuditConfig {
  /** Where it was read from (project-relative), for findings about the config itself. */
  path: string;
  /** Its text (fingerprints of findings about it). */
  content?: string;
  severity: Record<string, Severity>;
  ignore: ConfigIgnore[];
  /** Globs of project-relative paths not to audit. */
  skip: string[];
}

export interface ConfigIgnore {
  rule: string;
  /** Glob of the files it applies to; all files when absent. */
  path?: string;
  reason: string;
  /** YYYY-MM-DD: the ignore stops applying after this day. */
  expires?: string;
  /** Line of the entry in the config file. */
  line: number;
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
  /** Findings silenced by an ignore (inline or config), with its reason. */
  suppressed: SuppressedFinding[];
}

export type FileKind = 'dockerfile' | 'compose' | 'stack' | 'env' | 'dockerignore' | 'script' | 'workflow' | 'kubernetes';
