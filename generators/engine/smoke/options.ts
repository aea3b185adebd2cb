/**
 * What a smoke run can be told, and the one table of stand-in and mirror overrides: each is a
 * SmokeOptions field, a CLI flag (`create-pyimage smoke` and `--smoke`) and the variable the
 * generated stack reads (also taken from the environment, as scripts/smoke-test.sh does).
 */
import type { EngineName } from '../engines.js';

export interface Override {
  option: 'baseImage' | 'postgresImage' | 'redisImage' | 'pipIndexUrl' | 'pipFindLinks' | 'buildNetwork';
  /** The variable docker-compose.yml (or the build) reads. */
  variable: string;
  flag: string;
  /** The flag's value name and help (without the variable, which is added). */
  value: string;
  help: string;
  /** An image reference: checked before anything runs. */
  image?: boolean;
}

/** A service module adds its stand-in image here (one row), and smoke, the CLI and the docs follow. */
export const OVERRIDES: readonly Override[] = [
  { option: 'baseImage', variable: 'PYTHON_IMAGE', flag: 'base-image', value: '<image>', help: "Python base image, e.g. a mirror's python:3.12-slim-bookworm", image: true },
  { option: 'postgresImage', variable: 'POSTGRES_IMAGE', flag: 'postgres-image', value: '<image>', help: 'Postgres image, e.g. from a mirror', image: true },
  { option: 'redisImage', variable: 'REDIS_IMAGE', flag: 'redis-image', value: '<image>', help: 'Redis image, e.g. from a mirror', image: true },
  { option: 'pipIndexUrl', variable: 'PIP_INDEX_URL', flag: 'pip-index-url', value: '<url>', help: 'package index for the build stage only' },
  { option: 'pipFindLinks', variable: 'PIP_FIND_LINKS', flag: 'pip-find-links', value: '<url>', help: 'extra wheel location for the build stage only' },
  { option: 'buildNetwork', variable: 'BUILD_NETWORK', flag: 'build-network', value: '<network>', help: '"host" reaches an index on this machine\'s loopback' },
];

export interface SmokeOptions extends Partial<Record<Override['option'], string>> {
  /** docker or podman; by default CONTAINER_ENGINE, else the only one installed, else docker. */
  engine?: EngineName;
  /** Seconds `up --wait` may take to get every service healthy. */
  timeout?: number;
  /** Seconds the build may take. */
  buildTimeout?: number;
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
    const value = options[option] ?? env[variable];
    if (typeof value === 'string' && value !== '') out[variable] = value;
  }
  return out;
}
