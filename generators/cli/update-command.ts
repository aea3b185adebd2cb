/**
 * `create-pyimage update [dir]`: re-render from .create-pyimage.json with changed answers and
 * merge three ways into the user's edits. See generators/update/run.ts.
 */
import { Command } from 'commander';
import { readAnswersFile } from '../answers/resolve.js';
import { UserError } from '../errors.js';
import { addAnswerFlags, flagAnswers, isInteractive, lazyPrompter } from './generate-command.js';

interface UpdateCommandOptions {
  set?: string[];
  dryRun?: boolean;
  yes?: boolean;
  answers?: string;
  [flag: string]: unknown;
}

/** --set is repeatable; without a default so --help does not show "(default: [])". */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function register(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('update')
    .description('re-render from .create-pyimage.json (with changed answers) and merge into your edits')
    .argument('[dir]', 'the project generated before', '.')
    .option('--set <key=value>', 'change an answer (repeatable); answer key or flag name, e.g. postgres=true', collect)
    .option('--answers <file>', 'changed answers from a JSON or YAML file (--set wins over it)')
    .option('-y, --yes', 'never ask: keep the stored answers except those --set changes')
    .option('--dry-run', 'print each file\'s outcome and a unified diff; write nothing')
    .addHelpText(
      'after',
      '\nEach file: untouched since generation -> replaced; edited -> three-way merge of yours, the\n' +
        'version generated last time (.create-pyimage/pristine/) and the new one (compose files by YAML\n' +
        'structure); both changed the same lines -> conflict markers, listed at the end, exit 1.\n' +
        'Writes are all-or-nothing. Interactive runs ask the questions again, stored answers as defaults.\n\n' +
        'Examples:\n' +
        '  npx create-pyimage update --set postgres=true --dry-run\n' +
        '  npx create-pyimage update my-service --set worker="python -m app.worker" --set memory=1g\n\n' +
        'The answer flags of the first run (--postgres, --no-worker, --memory 1g ...) work here too.',
    );
  addAnswerFlags(command, { hidden: true });
  command.action(async (dir: string | undefined, _options: UpdateCommandOptions, command: Command) => {
      // The default command defines --dry-run, --yes, --answers and the answer flags too; commander
      // hands those to the program, so read them from both levels.
      const options = command.optsWithGlobals() as UpdateCommandOptions;
      const file = options.answers ? readAnswersFile(options.answers) : undefined;
      try {
        // The update room (merges) loads only for `update`.
        const { runUpdate } = await import('../update/run.js');
        const result = await runUpdate(dir, {
          set: options.set ?? [],
          flags: flagAnswers(options),
          file,
          dryRun: Boolean(options.dryRun),
          prompt: isInteractive(options.yes) ? await lazyPrompter() : undefined,
        });
        setExit(result.exitCode);
      } catch (error) {
        if (error instanceof Error && error.name === 'ExitPromptError') {
          throw new UserError('interrupted: nothing was written', 130);
        }
        throw error;
      }
    });
}
