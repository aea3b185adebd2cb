import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, UserError } from '../errors.js';
import { packageVersion } from '../paths.js';

/**
 * Subcommands register themselves here. Generating is the default command; each other room
 * (smoke, audit, update) adds one `register*` call and nothing else.
 */
type Register = (program: Command, setExit: (code: number) => void) => void;

/** Exported so tests parse command lines with the real program (actions replaced). */
export async function registrations(): Promise<Register[]> {
  const modules = await Promise.all([
    import('./generate-command.js'),
    import('./update-command.js'),
    import('./smoke-command.js'),
    import('./audit-command.js'),
    import('./build-command.js'),
    import('./sbom-command.js'),
  ]);
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
  for (const register of await registrations()) register(program, setExit);
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
