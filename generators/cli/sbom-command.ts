/**
 * `create-pyimage sbom [IMAGE]`: the SBOM of a built image on stdout or in --output FILE.
 * Exit 0 written, 1 reading the image failed, 2 bad input (no such image, unknown --format).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseDotenv } from 'dotenv';
import { EXIT_OK, EXIT_USAGE, UserError } from '../errors.js';
import { chooseEngine, engineFacts, EngineChoiceError } from '../engine/engines.js';
import { SBOM_FORMATS, type SbomFormat } from '../engine/sbom/index.js';

interface SbomFlags {
  format: string;
  output?: string;
  engine?: string;
  dir: string;
}

/** The image a generated project's compose builds: <name>:<APP_VERSION from .env, else .env.example, else 0.1.0>. */
async function projectImage(dir: string): Promise<string> {
  const { readStackAnswers } = await import('../engine/smoke.js');
  const answers = await readStackAnswers(dir);
  const envFile = [join(dir, '.env'), join(dir, '.env.example')].find((f) => existsSync(f));
  const version = envFile ? parseDotenv(readFileSync(envFile)).APP_VERSION : undefined;
  return `${answers.name}:${version || '0.1.0'}`;
}

/** Written next to its final name, then renamed: a reader never sees half a file. */
export function writeAtomically(file: string, text: string): void {
  const temp = join(dirname(file), `.${process.pid}.sbom.tmp`);
  writeFileSync(temp, text);
  renameSync(temp, file);
}

export async function runSbom(image: string | undefined, flags: SbomFlags): Promise<number> {
  if (!SBOM_FORMATS.includes(flags.format as SbomFormat)) {
    throw new UserError(`--format: "${flags.format}" is not one of ${SBOM_FORMATS.join(', ')}`, EXIT_USAGE);
  }
  let engineName;
  try {
    engineName = chooseEngine(flags.engine);
  } catch (error) {
    if (error instanceof EngineChoiceError) throw new UserError(error.message, EXIT_USAGE);
    throw error;
  }
  const output = flags.output === undefined ? undefined : resolve(flags.output);
  if (output && !existsSync(dirname(output))) {
    throw new UserError(`--output: the folder ${dirname(output)} does not exist; create it or write elsewhere`, EXIT_USAGE);
  }
  const ref = image ?? (await projectImage(resolve(flags.dir)));
  // The engine room (execa, the CycloneDX library) loads only for `sbom`.
  const { imageSbom, ImageNotFoundError, sbomSummary } = await import('../engine/sbom/index.js');
  let sbom;
  try {
    sbom = await imageSbom(engineFacts(engineName), ref, flags.format as SbomFormat);
  } catch (error) {
    if (error instanceof ImageNotFoundError) throw new UserError(`IMAGE: ${error.message}`, EXIT_USAGE);
    throw error;
  }
  if (output) {
    writeAtomically(output, sbom.text);
    process.stderr.write(`${sbomSummary(sbom)} -> ${output}\n`);
  } else {
    process.stdout.write(sbom.text);
  }
  return EXIT_OK;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('sbom')
    .description('the SBOM of a built image: Python distributions of its virtualenv and Debian packages (CycloneDX 1.6 JSON)')
    .argument('[image]', 'the image (name:tag, ID or name@digest) [default: the image the project in --dir builds]')
    .addOption(new Option('--format <format>', 'cyclonedx (1.6 JSON) or spdx (2.3 JSON)').default('cyclonedx'))
    .option('--output <file>', 'write the SBOM here instead of stdout')
    .option('--engine <engine>', 'docker or podman (CONTAINER_ENGINE; default: the only one installed, else docker)')
    .option('--dir <dir>', 'the generated project whose image to read when IMAGE is not given', '.')
    .addHelpText(
      'after',
      '\nNothing runs inside the image: a container is created (never started) and its files are copied out,\n' +
        'so images without a shell work too. Python: every distribution in the virtualenv (VIRTUAL_ENV, a PATH\n' +
        'entry with pyvenv.cfg, or /opt/venv) with licence, pkg:pypi purl and the SHA-256 of each file from RECORD.\n' +
        'Debian: every package in /var/lib/dpkg/status as a pkg:deb purl. The image ID and digest are the subject.\n' +
        'Exit codes: 0 written, 1 reading the image failed, 2 bad input (no such image, unknown --format).\n\n' +
        'Examples:\n' +
        '  npx create-pyimage sbom my-service:0.1.0 --output sbom.cdx.json\n' +
        '  npx create-pyimage sbom --format spdx > sbom.spdx.json',
    )
    .action(async (image: string | undefined, flags: SbomFlags) => {
      setExit(await runSbom(image, flags));
    });
}
