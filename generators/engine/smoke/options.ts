/**
 * What a smoke run can be told, and the overrides for mirrors and stand-ins: each is a SmokeOptions
 * key, a CLI flag (`create-pyimage smoke` and `--smoke`) and the variable the generated stack reads
 * (also taken from the environment, as scripts/smoke-test.sh does). The images come from the
 * service modules' one table.
 */
import { imageOverrides } from '../../stack/contributions.js';
import type { EngineName } from '../engines.js';

export interface Override {
  /** The SmokeOptions key (a string, so that a new service module's image needs no change here). */
  option: string;
  /** The variable docker-compose.yml (or the build) reads. */
  variable: string;
  flag: string;
  /** The flag's value name and help (without the variable, which is added). */
  value: string;
  help: string;
  /** An image reference: checked before anything runs. */
  image?: boolean;
}

/** What the build takes from a mirror: the package index and the network it is reached on. */
const BUILD_OVERRIDES: readonly Override[] = [
  { option: 'pipIndexUrl', variable: 'PIP_INDEX_URL', flag: 'pip-index-url', value: '<url>', help: 'package index for the build stage only' },
  { option: 'pipFindLinks', variable: 'PIP_FIND_LINKS', flag: 'pip-find-links', value: '<url>', help: 'extra wheel location for the build stage only' },
  { option: 'buildNetwork', variable: 'BUILD_NETWORK', flag: 'build-network', value: '<network>', help: '"host" reaches an index on this machine\'s loopback' },
];

/**
 * Every override: each service module's image (the stack's one table, stack/contributions.ts;
 * a new module's image follows without a change here), then the build's.
 */
export const OVERRIDES: readonly Override[] = [
  ...imageOverrides().map((o) => ({ option: o.option, variable: o.variable, flag: o.flag, value: '<image>', help: `${o.flag.replace(/-image$/, '')} image, e.g. a mirror's ${o.default}`, image: true })),
  ...BUILD_OVERRIDES,
];

export interface SmokeOptions {
  /** PYTHON_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE: mirrored or stand-in images (a module's newer image is read by its option from OVERRIDES). */
  baseImage?: string;
  postgresImage?: string;
  redisImage?: string;
  /** PIP_INDEX_URL, PIP_FIND_LINKS: build stage only; BUILD_NETWORK "host" reaches an index on this machine's loopback. */
  pipIndexUrl?: string;
  pipFindLinks?: string;
  buildNetwork?: string;
  /** docker or podman; by default CONTAINER_ENGINE, else the only one installed, else docker. */
  engine?: EngineName;
  /** Seconds `up --wait` may take to get every service healthy. */
  timeout?: number;
  /** Seconds the build may take. */
  buildTimeout?: number;
  /** Write the built image's CycloneDX SBOM to this file (the `sbom` step). */
  sbom?: string;
  /** 'default' (a terminal), 'simple' (logs, CI), 'silent' (--json). Progress goes to stderr. */
  renderer?: 'default' | 'simple' | 'silent';
  /** Aborting (Ctrl-C) stops the running step; teardown still runs. */
  signal?: AbortSignal;
  /** Where failure tails and notices are written (stderr by default). */
  report?: (text: string) => void;
}

/** The overrides as the stack's variables: an option wins over the environment; empty means unset. */
export function overrideEnv(options: SmokeOptions, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { option, variable } of OVERRIDES) {
    const value = (options as Record<string, unknown>)[option] ?? env[variable];
    if (typeof value === 'string' && value !== '') out[variable] = value;
  }
  return out;
}
