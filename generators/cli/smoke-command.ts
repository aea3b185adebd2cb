/**
 * `create-pyimage smoke [dir]`: build, start, probe and tear down a generated stack for real.
 * Progress goes to stderr; with --json one object goes to stdout. Exit 0 only when every step passed.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { OVERRIDES, type SmokeOptions } from '../engine/smoke/options.js';
import type { SmokeResult } from '../engine/smoke/steps.js';
import { EXIT_FAILED, EXIT_OK, InputError } from '../errors.js';
import { chooseEngine, type EngineName } from '../engine/engines.js';

/** Commander's options: the fixed ones, and one per override (OVERRIDES), by its option name. */
export interface SmokeFlags {
  [override: string]: unknown;
  engine?: string;
  json?: boolean;
  timeout?: string;
  swarm?: boolean;
  kube?: boolean;
  sbom?: string;
}

/** The overrides for mirrors and air-gapped hosts; shared with `create-pyimage [dir] --smoke`. */
export function addSmokeOptions(command: Command, prefix = ''): Command {
  command.addOption(new Option('--engine <engine>', `${prefix}docker or podman (CONTAINER_ENGINE; default: the only one installed, else docker)`));
  for (const o of OVERRIDES) command.addOption(new Option(`--${o.flag} ${o.value}`, `${prefix}${o.help} (${o.variable})`));
  return command
    .addOption(new Option('--timeout <seconds>', `${prefix}how long services may take to become healthy`).default('180'))
    .addOption(new Option('--sbom <file>', `${prefix}write the built image's CycloneDX 1.6 SBOM to this file (step "sbom", after the build)`))
    .addOption(new Option('--json', `${prefix}print one JSON result object on stdout (progress stays on stderr)`));
}

/** registry/name:tag@digest, as `docker pull` takes it (lowercase name, no spaces or shell characters). */
const IMAGE_REF_RE = /^[a-z0-9][a-z0-9._:/-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

function smokeOptions(flags: SmokeFlags, signal: AbortSignal): SmokeOptions {
  const timeout = Number(flags.timeout ?? '180');
  if (!Number.isInteger(timeout) || timeout < 1) {
    throw new InputError(`--timeout: "${flags.timeout}" is not a whole number of seconds`);
  }
  const engine: EngineName = chooseEngine(flags.engine);
  const renderer = flags.json ? 'silent' : process.stderr.isTTY && !process.env.CI ? 'default' : 'simple';
  const options: SmokeOptions = { engine, timeout, renderer, signal };
  for (const o of OVERRIDES) {
    const value = typeof flags[o.option] === 'string' ? (flags[o.option] as string) : undefined;
    if (value !== undefined && o.image && !IMAGE_REF_RE.test(value)) {
      throw new InputError(`--${o.flag}: ${JSON.stringify(value)} is not an image reference; write e.g. mirror.local/library/redis:7.4-bookworm (no spaces or quotes)`);
    }
    (options as Record<string, unknown>)[o.option] = value;
  }
  options.sbom = flags.sbom;
  return options;
}

/**
 * Runs the smoke test with Ctrl-C / SIGTERM turned into "stop the current step, tear down, exit 130".
 * Returns the exit code.
 */
export async function runSmoke(dirArg: string | undefined, flags: SmokeFlags): Promise<number> {
  const dir = resolve(dirArg ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`dir: ${dir} is not a directory: run create-pyimage first`);
  }
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted += 1;
    if (interrupted === 1) {
      process.stderr.write(`\n${signal}: stopping the current step, then tearing down (this takes a few seconds)\n`);
      controller.abort();
    } else {
      process.stderr.write(`${signal}: still tearing down so nothing is left running; please wait\n`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: SmokeResult;
  try {
    // The engine room (execa, listr2) loads only when a smoke test runs.
    if (flags.kube && (flags.swarm || (flags.engine && flags.engine !== 'podman'))) {
      throw new InputError('--kube: plays deploy/k8s on Podman (podman kube play); drop --swarm and --engine docker');
    }
    const options = smokeOptions({ ...flags, ...(flags.kube ? { engine: 'podman' } : {}) }, controller.signal);
    result = flags.kube
      ? await (await import('../engine/smoke/kube.js')).smokeKube(dir, options)
      : flags.swarm
      ? await (await import('../engine/smoke-swarm.js')).smokeSwarm(dir, options)
      : await (await import('../engine/smoke.js')).smokeProject(dir, options);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stderr.write(`\n${result.success ? 'ok' : 'FAILED'}: ${result.message}\n`);
  }
  if (interrupted > 0) return 130;
  return result.success ? EXIT_OK : EXIT_FAILED;
}

export function register(program: Command, setExit: (code: number) => void): void {
  // `smoke` and the default command share option names (--json, --base-image, ...): options after
  // the word `smoke` must belong to it, not to the program.
  program.enablePositionalOptions();
  const command = program
    .command('smoke')
    .description('prove a generated stack: check the engine, build, start, probe, tear down')
    .argument('[dir]', 'a project create-pyimage generated', '.');
  addSmokeOptions(command);
  command.addOption(
    new Option('--swarm', 'deploy deploy/swarm/stack.yml to a single-node swarm (created if needed, left again) instead of compose'),
  );
  command.addOption(
    new Option('--kube', 'render deploy/k8s with kubectl kustomize and play it on Podman (podman kube play), with a Podman-only overlay'),
  );
  command.addHelpText(
    'after',
    `\nEvery override can also come from the environment (CONTAINER_ENGINE, ${OVERRIDES.slice(0, 3).map((o) => o.variable).join(', ')},\n` +
      `${OVERRIDES.slice(3).map((o) => o.variable).join(', ')}), as with scripts/smoke-test.sh. Index URLs reach the build stage\n` +
      'only, never the final image. Exit codes: 0 every step passed, 1 a step failed, 2 bad input.\n\n' +
      'Examples:\n' +
      '  npx create-pyimage smoke\n' +
      '  npx create-pyimage smoke my-service --json\n' +
      '  npx create-pyimage smoke --swarm\n' +
      '  npx create-pyimage smoke --kube\n' +
      '  npx create-pyimage smoke --engine podman\n' +
      '  npx create-pyimage smoke --base-image mirror.local/python:3.12-slim-bookworm \\\n' +
      '      --pip-index-url http://127.0.0.1:3141/simple/ --build-network host',
  );
  command.action(async (dir: string | undefined, flags: SmokeFlags) => {
    setExit(await runSmoke(dir, flags));
  });
}
