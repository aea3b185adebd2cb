/**
 * `create-pyimage build`: JSON on stdin (or flags) in, one JSON result on stdout. For scripts:
 * exit 0 built, 1 the build failed (or a file it needs is missing), 2 bad input (the message names
 * the field). BuildKit's log goes to stderr as it runs.
 */
import { Command } from 'commander';
import type { BuildInputError as InputError, BuildResult } from '../engine/build.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../errors.js';

interface BuildFlags {
  dockerfile?: string;
  context?: string;
  buildArg?: string[];
  tag?: string;
  network?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The input object from the flags, or from JSON on stdin when no --dockerfile is given. */
async function readInput(flags: BuildFlags, BuildInputError: typeof InputError): Promise<unknown> {
  if (flags.dockerfile === undefined) {
    if (flags.context !== undefined || flags.buildArg !== undefined || flags.tag !== undefined || flags.network !== undefined) {
      return { buildContext: flags.context, tag: flags.tag }; // reported as "dockerfilePath: is required"
    }
    if (process.stdin.isTTY) {
      throw new BuildInputError('input', 'give --dockerfile <path> or a JSON object on stdin, e.g. echo \'{"dockerfilePath":"Dockerfile"}\' | create-pyimage build');
    }
    const text = await readStdin();
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new BuildInputError('input', `stdin is not valid JSON (${(error as Error).message})`);
    }
  }
  const buildArgs: Record<string, string> = {};
  for (const pair of flags.buildArg ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BuildInputError('buildArgs', `--build-arg "${pair}" must be NAME=value`);
    buildArgs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { dockerfilePath: flags.dockerfile, buildContext: flags.context, buildArgs, tag: flags.tag, network: flags.network };
}

export async function runBuild(flags: BuildFlags): Promise<number> {
  const print = (result: BuildResult) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  // The engine room (execa, dockerfile-ast) loads only for `build`.
  const { buildImage, BuildInputError } = await import('../engine/build.js');
  let result: BuildResult;
  try {
    const input = JSON.parse(JSON.stringify(await readInput(flags, BuildInputError))) as unknown; // drops undefined flags
    result = await buildImage(input, { onLine: (line) => process.stderr.write(`${line}\n`) });
  } catch (error) {
    if (error instanceof BuildInputError) {
      const message = (error as Error).message;
      process.stderr.write(`create-pyimage build: ${message}\n`);
      print({ imageId: null, tag: null, size: null, success: false, message });
      return EXIT_USAGE;
    }
    throw error;
  }
  print(result);
  if (!result.success) process.stderr.write(`create-pyimage build: ${result.message}\n`);
  return result.success ? EXIT_OK : EXIT_FAILED;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('build')
    .description('build an image from a Dockerfile: JSON on stdin or flags in, JSON result on stdout')
    .option('--dockerfile <path>', 'the Dockerfile (dockerfilePath); without it, JSON is read from stdin')
    .option('--context <dir>', 'the build context (buildContext) [default: the Dockerfile\'s directory]')
    .option('--build-arg <NAME=value>', 'a build argument (buildArgs), repeatable', collect)
    .option('--tag <image>', 'the image tag (tag) [default: <context directory name>:latest]')
    .option('--network <mode>', 'the build\'s network (network), e.g. host to reach an index on this machine')
    .addHelpText(
      'after',
      '\nInput (stdin): {"dockerfilePath": "...", "buildContext"?: "...", "buildArgs"?: {"NAME": "value"}, "tag"?: "...", "network"?: "..."}\n' +
        'Output (stdout): {"imageId", "tag", "size", "success", "message"}; the build log goes to stderr.\n' +
        'Files the Dockerfile needs from the context (COPY/ADD sources, RUN --mount=type=bind sources) are\n' +
        'checked first: a missing one fails at once, naming the file and the line.\n' +
        'Exit codes: 0 built, 1 the build failed, 2 bad input (bad JSON, unknown key, missing Dockerfile).\n\n' +
        'Examples:\n' +
        '  echo \'{"dockerfilePath":"Dockerfile","tag":"my-service:dev"}\' | npx create-pyimage build\n' +
        '  npx create-pyimage build --dockerfile Dockerfile --build-arg PYTHON_IMAGE=mirror.local/python:3.12-slim-bookworm',
    )
    .action(async (flags: BuildFlags) => {
      setExit(await runBuild(flags));
    });
}
