/**
 * The default command: `create-pyimage [dir] [--flags]`: its flags (one per answer), then the
 * generate room (generate/index.ts) with the terminal's streams, questions and consent.
 */
import { Command, Option } from 'commander';
import { readAnswersFile } from '../answers/resolve.js';
import { OPTIONS } from '../answers/schema.js';
import type { AnswerKey } from '../answers/types.js';
import { EXIT_OK, InputError } from '../errors.js';
import { generateProject, type GenerateResult } from '../generate/index.js';
import { addSmokeOptions, runSmoke, type SmokeFlags } from './smoke-command.js';
import { NEW_DIR_FLAG, refuseTypo } from './typo.js';

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

/** The default command's run: the generate room, with the terminal's streams, questions and consent. */
export async function runGenerate(dirArg: string | undefined, options: GenerateOptions): Promise<GenerateResult> {
  const interactive = isInteractive(options.yes);
  return generateProject(dirArg, {
    values: { ...options.values, ...flagAnswers(options) },
    file: options.answers ? readAnswersFile(options.answers) : undefined,
    force: options.force,
    dryRun: options.dryRun,
    strict: Boolean(options.strict),
    prompt: interactive ? await lazyPrompter() : undefined,
    confirmOverwrite: interactive
      ? async (list) => (await import('@inquirer/prompts')).confirm({ message: `These files exist and differ:\n${list}\nOverwrite them?`, default: false })
      : undefined,
    note: options.err ?? ((line: string) => console.error(line)),
    out: options.out ?? ((line: string) => console.log(line)),
  });
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .argument('[dir]', 'project directory: an existing service, or a new folder', '.')
    .option('--answers <file>', 'read answers from a JSON or YAML file (flags win over it)')
    .option('-y, --yes', 'never ask: take flags, the answers file, detection, then defaults')
    .option('--force', 'overwrite existing files that differ')
    .option('--dry-run', 'print what would be written and a diff against what exists; write nothing')
    .option('--strict', 'fail when the self-audit flags a value you gave (e.g. --env DEBUG=1); without it, a warning')
    .option('--smoke', 'after writing, prove the stack as `create-pyimage smoke` does (build, start, probe, tear down)')
    .option(`${NEW_DIR_FLAG} <dir>`, 'the project folder, taken as a folder even when its name is close to a command (smok, audti)');
  addAnswerFlags(program);
  addSmokeOptions(program, 'with --smoke: ');
  program.addHelpText(
    'after',
    '\nPrecedence: flags > --answers file > detection > defaults. Without a terminal, with CI=true or\n' +
      '--yes nothing is asked, and a missing required answer exits with code 2.\n' +
      'A new folder named close to a command (smok, audti, updte, buld) is refused as a typo (exit 2,\n' +
      `nothing written): write it as a path (./smok) or with ${NEW_DIR_FLAG} smok to create it.\n\n` +
      'Examples:\n' +
      '  npx create-pyimage                          # in your service folder: detect, ask, write\n' +
      '  npx create-pyimage my-service --yes --framework flask --postgres --worker "python -m app.worker"\n' +
      '  npx create-pyimage --answers answers.yml --dry-run',
  );
  program.action(async (dirArg: string | undefined, options: GenerateOptions & { newDir?: string }) => {
    // A name close to a command is a typo unless the folder exists or is named as a path or with --new-dir.
    if (options.newDir !== undefined && dirArg !== undefined && dirArg !== '.') {
      throw new InputError(`${NEW_DIR_FLAG}: give the folder once, either as the argument (${dirArg}) or with ${NEW_DIR_FLAG} (${options.newDir})`, NEW_DIR_FLAG);
    }
    refuseTypo(dirArg, options.newDir !== undefined);
    const { newDir, ...rest } = options;
    const generated = await runGenerate(newDir ?? dirArg, rest);
    setExit(EXIT_OK);
    if (rest.smoke && generated.written) setExit(await runSmoke(generated.dir, rest as SmokeFlags));
  });
}
