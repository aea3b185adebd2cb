/**
 * The default command: `create-pyimage [dir] [--flags]`. Reads the user's journey top to bottom:
 * detect, collect answers, render, check, plan the write, then write (or show) and say what next.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { detectProject, type Detection } from '../answers/detect.js';
import { readAnswersFile, resolveAnswers } from '../answers/resolve.js';
import { AnswerError, OPTIONS, SERVER_PINS, serverPackages } from '../answers/schema.js';
import { describeSettings } from '../answers/wiring.js';
import { parseEnvList } from '../answers/settings.js';
import { generationNotes } from '../answers/notes.js';
import type { AnswerKey, Answers } from '../answers/types.js';
import { renderProject } from '../render/index.js';
import { dependencyFiles } from '../render/view.js';
import { hasInterruptedCommit, recoverInterruptedCommit } from '../write/journal.js';
import { pristineFiles } from '../write/pristine.js';
import { commitPlan, conflicts, describePlan, diffOf, displayPath, planWrite, type ChangeKind } from '../write/tree.js';
import type { AuditReport } from '../audit/types.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UserError } from '../errors.js';
import { auditGenerated } from '../audit/generated.js';
import { addSmokeOptions, runSmoke, type SmokeFlags } from './smoke-command.js';

/** The prompter, loaded only when questions are asked (@inquirer/prompts is slow to load). */
export async function lazyPrompter() {
  return (await import('../answers/prompt.js')).inquirerPrompter;
}

export interface GenerateOptions {
  /** Answer values keyed by answer key (the programmatic API); answer flags win over them. */
  values?: Partial<Record<AnswerKey, unknown>>;
  /** Where the plan and notes go (stderr by default) and dry-run diffs (stdout by default). */
  err?: (line: string) => void;
  out?: (line: string) => void;
  answers?: string;
  yes?: boolean;
  force?: boolean;
  dryRun?: boolean;
  /** A self-audit finding on a value the user gave fails generation instead of warning. */
  strict?: boolean;
  [flag: string]: unknown;
}

/** Questions may be asked only with a terminal on both ends, outside CI, without --yes. */
export function isInteractive(yes: boolean | undefined): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY && !process.env.CI && !yes);
}

function flagAttribute(flag: string): string {
  return new Option(`--${flag}`).attributeName();
}

/**
 * Adds one flag per answer (and --no-<flag> for booleans and the worker), described from the schema.
 * `hidden` keeps them out of --help where they are shorthands (update's --set).
 */
export function addAnswerFlags(command: Command, options: { hidden?: boolean } = {}): void {
  const add = (option: Option) => command.addOption(options.hidden ? option.hideHelp() : option);
  for (const spec of OPTIONS) {
    const allowed = spec.choices ? ` (${spec.choices.map((c) => c.value).join(' | ')})` : '';
    const description = `${spec.hint}${allowed} [default: ${spec.defaultText}]`;
    if (spec.kind === 'boolean') {
      add(new Option(`--${spec.flag}`, description));
      command.addOption(new Option(`--no-${spec.flag}`).hideHelp());
    } else if (spec.kind === 'list') {
      add(new Option(`--${spec.flag} <value>`, `${description} (repeatable)`).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]));
    } else {
      const placeholder = spec.kind === 'number' ? '<n>' : spec.kind === 'choice' ? '<choice>' : '<value>';
      add(new Option(`--${spec.flag} ${placeholder}`, description));
      if (spec.key === 'worker') add(new Option('--no-worker', 'no background worker'));
    }
  }
}

/** Flag values keyed by answer key (commander leaves absent flags undefined: defaults come later). */
export function flagAnswers(options: Record<string, unknown>): Partial<Record<AnswerKey, unknown>> {
  const out: Partial<Record<AnswerKey, unknown>> = {};
  for (const spec of OPTIONS) {
    const value = options[flagAttribute(spec.flag)];
    if (value !== undefined) out[spec.key] = value;
  }
  return out;
}

/** The --env entries the user gave (flags, API values, the answers file): their findings are theirs to decide. */
function givenEnv(options: GenerateOptions): string[] {
  const flags = { ...options.values, ...flagAnswers(options) };
  const file = options.answers ? readAnswersFile(options.answers) : {};
  return [...parseEnvList(file.env), ...parseEnvList(flags.env)];
}

function printDetection(detection: Detection, err: (line: string) => void): void {
  for (const note of detection.notes) err(`  found: ${note}`);
  for (const warning of detection.warnings) err(`  note: ${warning}`);
}

/** The server, the settings and the writable state, as generation decided them: one line each. */
function printSettings(answers: Answers, detection: Detection): void {
  if (answers.installServer) {
    const pins = serverPackages(answers.framework, answers.server).map((p) => SERVER_PINS[p]);
    console.error(`  server: the dependencies lack ${answers.server}: the image installs ${pins.join(' ')} (SERVER_PACKAGES in .env changes it)`);
  }
  const settings = describeSettings(answers, detection.facts);
  if (settings.length > 0) {
    console.error('  settings (app, worker and migrate; secrets are filled from secrets/ at start):');
    for (const line of settings) console.error(`    ${line}`);
  }
  for (const dir of answers.stateDirs) console.error(`  writable: ${dir} (a named volume; scripts/backup-state.sh saves it)`);
  for (const line of generationNotes(answers, detection.facts)) console.error(`  ${line.startsWith('warning: ') ? line : `run: ${line}`}`);
}

export interface GenerateResult {
  answers: Answers;
  dir: string;
  written: boolean;
  /** Every planned file change (bookkeeping under .create-pyimage/ included). */
  changes: { path: string; kind: ChangeKind }[];
  /** The self-audit of the rendered files (clean, or nothing was written). */
  audit: AuditReport;
}

export async function runGenerate(dirArg: string | undefined, options: GenerateOptions): Promise<GenerateResult | undefined> {
  const dir = resolve(dirArg ?? '.');
  const err = options.err ?? ((line: string) => console.error(line));
  const out = options.out ?? ((line: string) => console.log(line));
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UserError(`dir: ${dir} is a file; give a directory (new or existing)`);
  }
  const interactive = isInteractive(options.yes);
  // A write that an earlier run left half-done is finished or undone before anything is read.
  if (options.dryRun && hasInterruptedCommit(dir)) {
    throw new UserError(`an earlier write to ${dir} was interrupted: run again without --dry-run to finish or undo it first`, EXIT_USAGE);
  }
  const recovered = existsSync(dir) ? recoverInterruptedCommit(dir) : undefined;
  if (recovered) err(`  note: ${recovered.message}`);
  const detection = detectProject(dir);
  printDetection(detection, err);

  let answers: Answers;
  try {
    answers = await resolveAnswers({
      flags: { ...options.values, ...flagAnswers(options) },
      file: options.answers ? readAnswersFile(options.answers) : undefined,
      detected: detection.answers,
      facts: detection.facts,
      prompt: interactive ? await lazyPrompter() : undefined,
    });
  } catch (error) {
    if (error instanceof AnswerError) throw new UserError(error.message, EXIT_USAGE);
    throw error;
  }

  printSettings(answers, detection);
  // The same files the node-plop generator stages (render/plop.ts, for plop's CLI and the API),
  // rendered directly: node-plop loads its own inquirer, which alone costs more than generating.
  const rendered = renderProject(answers);
  // Our own output meets our own audit before anything is written.
  const audit = auditGenerated(rendered, {}, { env: givenEnv(options), strict: Boolean(options.strict) });
  if (!audit.ok) throw new UserError(audit.message, EXIT_FAILED);
  const files = [...rendered, ...pristineFiles(rendered)];
  let plan = planWrite(dir, files, { overwrite: Boolean(options.force) });
  const clashing = conflicts(plan);
  if (clashing.length > 0 && !options.dryRun) {
    const list = clashing.map((c) => `  ${c.path}`).join('\n');
    const consent =
      interactive && (await (await import('@inquirer/prompts')).confirm({ message: `These files exist and differ:\n${list}\nOverwrite them?`, default: false }));
    if (!consent) {
      throw new UserError(
        `these files already exist and differ from what would be generated:\n${list}\n` +
          'Nothing was written. Re-run with --force to overwrite them, --dry-run to see the differences, ' +
          'or `create-pyimage update` to merge into a project generated before.',
      );
    }
    plan = planWrite(dir, files, { overwrite: true });
  }

  const where = displayPath(dir);
  const result = (written: boolean): GenerateResult => ({ answers, dir, written, changes: plan.map((c) => ({ path: c.path, kind: c.kind })), audit: audit.report });
  if (options.dryRun) {
    out(`Dry run: nothing is written. Planned changes in ${where}:`);
    out(describePlan(dir, plan));
    for (const change of plan) {
      const diff = diffOf(change);
      if (diff) out(`\n${diff}`);
    }
    return result(false);
  }

  commitPlan(dir, plan);
  for (const needed of dependencyFiles(answers)) {
    if (!existsSync(join(dir, needed))) err(`  note: ${needed} does not exist yet: the image build needs it`);
  }
  err(describePlan(dir, plan.filter((c) => c.kind !== 'identical' && !c.path.startsWith('.create-pyimage/'))));
  err(`\n${audit.message}`);
  err(
    `\nDone. Next (README.Docker.md explains every file):\n  cd ${where}\n` +
      '  scripts/up.sh          # build, start, wait until healthy\n' +
      `  scripts/smoke-test.sh  # prove it: build, start, probe ${answers.healthPath}, tear down`,
  );
  return result(true);
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .argument('[dir]', 'project directory: an existing service, or a new folder', '.')
    .option('--answers <file>', 'read answers from a JSON or YAML file (flags win over it)')
    .option('-y, --yes', 'never ask: take flags, the answers file, detection, then defaults')
    .option('--force', 'overwrite existing files that differ')
    .option('--dry-run', 'print what would be written and a diff against what exists; write nothing')
    .option('--strict', 'fail when the self-audit flags a value you gave (e.g. --env DEBUG=1); without it, a warning')
    .option('--smoke', 'after writing, prove the stack as `create-pyimage smoke` does (build, start, probe, tear down)');
  addAnswerFlags(program);
  addSmokeOptions(program, 'with --smoke: ');
  program.addHelpText(
    'after',
    '\nPrecedence: flags > --answers file > detection > defaults. Without a terminal, with CI=true or\n' +
      '--yes nothing is asked, and a missing required answer exits with code 2.\n\n' +
      'Examples:\n' +
      '  npx create-pyimage                          # in your service folder: detect, ask, write\n' +
      '  npx create-pyimage my-service --yes --framework flask --postgres --worker "python -m app.worker"\n' +
      '  npx create-pyimage --answers answers.yml --dry-run',
  );
  program.action(async (dir: string | undefined, options: GenerateOptions) => {
    const generated = await runGenerate(dir, options);
    setExit(EXIT_OK);
    if (options.smoke && generated?.written) setExit(await runSmoke(generated.dir, options as SmokeFlags));
  });
}
