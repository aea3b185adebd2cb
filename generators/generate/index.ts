/**
 * The generate room, below the CLI: detect, settle the answers, render, audit our own output, plan
 * the write, then show it (dry run) or commit it all-or-nothing. It prints nothing itself: every
 * line goes to the `note` and `out` it is given. The CLI (cli/generate-command.ts) and the public
 * API (index.ts) both call `generateProject`.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { detectProject } from '../answers/detect.js';
import { parseEnvList } from '../answers/settings.js';
import { resolveAnswers, type Prompter } from '../answers/resolve.js';
import type { AnswerKey, Answers } from '../answers/types.js';
import { auditGenerated, TWIN_NAME } from '../audit/generated.js';
import type { AuditReport } from '../audit/types.js';
import { EXIT_FAILED, InputError, UserError } from '../errors.js';
import { renderProject } from '../render/index.js';
import { dependencyFiles } from '../render/view.js';
import { pristineFiles } from '../write/pristine.js';
import { commitAll, planDiffs, recoverFirst } from '../write/transaction.js';
import { conflicts, describePlan, displayPath, planWrite, type ChangeKind } from '../write/tree.js';
import { detectionLines, doneLines, settingsLines } from './report.js';

export interface GenerateResult {
  answers: Answers;
  dir: string;
  written: boolean;
  /** Every planned file change (bookkeeping under .create-pyimage/ included). */
  changes: { path: string; kind: ChangeKind }[];
  /** The self-audit of the rendered files (clean, or nothing was written). */
  audit: AuditReport;
}

export interface GenerateInput {
  /** Answer values by key (flags over an answers file: the caller merges them). */
  values?: Partial<Record<AnswerKey, unknown>>;
  /** Values read from --answers FILE (below `values`). */
  file?: Partial<Record<AnswerKey, unknown>>;
  force?: boolean;
  dryRun?: boolean;
  /** A self-audit finding on a value the user gave (`--env DEBUG=1`) fails generation instead of warning. */
  strict?: boolean;
  /** Asks the questions left open; without it nothing is asked. */
  prompt?: Prompter;
  /** Asked before existing files that differ are overwritten; without it they are refused. */
  confirmOverwrite?: (list: string) => Promise<boolean>;
  /** Plan, notes and the closing lines (stderr in the CLI). */
  note?: (line: string) => void;
  /** The dry run's plan and diffs (stdout in the CLI). */
  out?: (line: string) => void;
}

const quiet = () => {};

/** The --env entries the user gave (values, the answers file): their findings are theirs to decide. */
function givenEnv(input: GenerateInput): string[] {
  return [...parseEnvList(input.file?.env), ...parseEnvList(input.values?.env)];
}

export async function generateProject(dirArg: string | undefined, input: GenerateInput = {}): Promise<GenerateResult> {
  const dir = resolve(dirArg ?? '.');
  const note = input.note ?? quiet;
  const out = input.out ?? quiet;
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new InputError(`dir: ${dir} is a file; give a directory (new or existing)`);
  }
  recoverFirst(dir, input.dryRun, note);
  const detection = detectProject(dir);
  for (const line of detectionLines(detection)) note(line);

  const answers = await resolveAnswers({ flags: input.values ?? {}, file: input.file, detected: detection.answers, facts: detection.facts, prompt: input.prompt });
  for (const line of settingsLines(answers, detection)) note(line);
  // The same files the node-plop generator stages (render/plop.ts, for plop's CLI), rendered
  // directly: node-plop loads its own inquirer, which alone costs more than generating.
  const rendered = renderProject(answers);
  // Our own output meets our own audit before anything is written. Scripts are ShellChecked as
  // rendered for a placeholder name (a second model, for that name only), so the cached result
  // serves any new project.
  const audit = auditGenerated(
    rendered,
    { twin: { name: answers.name, files: renderProject({ ...answers, name: TWIN_NAME }) } },
    { env: givenEnv(input), strict: Boolean(input.strict) },
  );
  // Findings on values the user gave are theirs to decide: a warning naming the flag (in the closing
  // lines), unless strict.
  if (!audit.ok) throw new UserError(audit.message, EXIT_FAILED);
  const files = [...rendered, ...pristineFiles(rendered)];
  let plan = planWrite(dir, files, { overwrite: Boolean(input.force) });
  const clashing = conflicts(plan);
  if (clashing.length > 0 && !input.dryRun) {
    const list = clashing.map((c) => `  ${c.path}`).join('\n');
    if (!(await input.confirmOverwrite?.(list))) {
      throw new InputError(
        `these files already exist and differ from what would be generated:\n${list}\n` +
          'Nothing was written. Re-run with --force to overwrite them, --dry-run to see the differences, ' +
          'or `create-pyimage update` to merge into a project generated before.',
      );
    }
    plan = planWrite(dir, files, { overwrite: true });
  }

  const where = displayPath(dir);
  const result = (written: boolean): GenerateResult => ({ answers, dir, written, changes: plan.map((c) => ({ path: c.path, kind: c.kind })), audit: audit.report });
  if (input.dryRun) {
    out(`Dry run: nothing is written. Planned changes in ${where}:`);
    out(describePlan(dir, plan));
    for (const diff of planDiffs(plan)) out(`\n${diff}`);
    return result(false);
  }

  commitAll(dir, plan, note);
  for (const needed of dependencyFiles(answers)) {
    if (!existsSync(join(dir, needed))) note(`  note: ${needed} does not exist yet: the image build needs it`);
  }
  const written = describePlan(dir, plan.filter((c) => c.kind !== 'identical' && !c.path.startsWith('.create-pyimage/')));
  for (const line of doneLines(where, written, audit.message, answers.healthPath)) note(line);
  return result(true);
}
