/**
 * The programmatic API: `import { generate, smoke, audit, update, build } from 'create-pyimage'`.
 * Each function does what its command does, without a terminal: nothing is asked (answers come
 * from `answers`, detection, then defaults), nothing is printed unless you pass a `log`, and the
 * results are the objects the commands print. Bad input throws UserError (its `exitCode` is the
 * command's); a failed check (audit findings, a failed smoke step or build, merge conflicts) is a
 * result, not an exception. Each room loads when its function is first called.
 */
import type { AnswerKey, Answers } from './answers/types.js';
import type { AuditOptions, AuditReport } from './audit/types.js';
import type { GenerateResult } from './generate/index.js';
import type { BuildInput, BuildResult } from './engine/build.js';
import type { SmokeOptions, SmokeResult } from './engine/smoke.js';
import type { UpdateOptions, UpdateResult } from './update/run.js';

export { AnswerError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, InputError, UserError } from './errors.js';
export type { AnswerKey, Answers, AuditOptions, AuditReport, BuildInput, BuildResult, GenerateResult, SmokeOptions, SmokeResult, UpdateOptions, UpdateResult };
export type { Finding, Severity } from './audit/types.js';

export interface GenerateOptions {
  /** Answers by key (see `create-pyimage --help`); the rest is detected or defaulted. */
  answers?: Partial<Record<AnswerKey, unknown>>;
  /** Overwrite existing files that differ (otherwise they are a UserError and nothing is written). */
  force?: boolean;
  /** Plan only: `written` is false and nothing is written. */
  dryRun?: boolean;
  /** Receives what the command would print (plan, notes, dry-run diffs). */
  log?: (line: string) => void;
}

const quiet = () => {};

/** Generates the stack into `dir` (created when missing), after auditing it in memory. */
export async function generate(dir: string, options: GenerateOptions = {}): Promise<GenerateResult> {
  const { generateProject } = await import('./generate/index.js');
  const log = options.log ?? quiet;
  return generateProject(dir, { values: options.answers, force: options.force, dryRun: options.dryRun, out: log, note: log });
}

/** Audits any Docker setup in `dir`: findings by hardening-rule id, a grade, notes. */
export async function audit(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  const { auditProject } = await import('./audit/index.js');
  return auditProject(dir, options);
}

/** Re-renders a generated project with changed answers (`set: ['postgres=true']`), merging edits. */
export async function update(dir: string, options: UpdateOptions = {}): Promise<UpdateResult> {
  const { runUpdate } = await import('./update/run.js');
  return runUpdate(dir, { out: quiet, note: quiet, ...options });
}

/** Builds, starts, probes and tears down a generated stack on the local engine. */
export async function smoke(dir: string, options: SmokeOptions = {}): Promise<SmokeResult> {
  const { smokeProject } = await import('./engine/smoke.js');
  return smokeProject(dir, { renderer: 'silent', report: quiet, ...options });
}

/** Builds one image: the `create-pyimage build` contract. Bad input throws BuildInputError. */
export async function build(input: BuildInput, options: { cwd?: string; signal?: AbortSignal; log?: (line: string) => void } = {}): Promise<BuildResult> {
  const { buildImage } = await import('./engine/build.js');
  return buildImage(input, { cwd: options.cwd, signal: options.signal, onLine: options.log });
}
