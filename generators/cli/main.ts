import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, UserError } from '../errors.js';
import { packageVersion } from '../paths.js';
import { COMMAND_NAMES, type CommandName } from './typo.js';

/**
 * Subcommands register themselves here. Generating is the default command; each other room
 * (smoke, audit, update) adds one `register*` call and nothing else.
 */
type Register = (program: Command, setExit: (code: number) => void) => void;

const COMMAND_MODULES: Record<CommandName, () => Promise<{ register: Register }>> = {
  update: () => import('./update-command.js'),
  smoke: () => import('./smoke-command.js'),
  audit: () => import('./audit-command.js'),
  build: () => import('./build-command.js'),
  sbom: () => import('./sbom-command.js'),
  dev: () => import('./dev-command.js'),
};

/**
 * Generating (the root command) and the subcommands. A plain `create-pyimage DIR --yes` loads only
 * generate's modules: the other commands' code (ajv for audit's config, the update merges) is loaded
 * when a command is named or for --help, which lists them all.
 */
/** Exported so tests parse command lines with the real program (actions replaced); without argv, every command. */
export async function registrations(argv?: string[]): Promise<Register[]> {
  const named = !argv || argv.some((a) => (COMMAND_NAMES as readonly string[]).includes(a) || a === '-h' || a === '--help');
  const modules = await Promise.all([import('./generate-command.js'), ...(named ? Object.values(COMMAND_MODULES).map((load) => load()) : [])]);
  return modules.map((m) => m.register);
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command();
  program
    .name('create-pyimage')
    .description('Turn a Python web service into a hardened, proven container stack.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for every option and its default)')
    .exitOverride();
  for (const register of await registrations(argv)) register(program, setExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; unknown options and the like with 2.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof UserError) {
      console.error(`create-pyimage: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
  return exitCode;
}
