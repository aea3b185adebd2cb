/**
 * The app's settings as compose writes them, kept as the old entry points over the stack model
 * (generators/stack/env.ts resolves them; templates/entrypoint.py fills the secret tokens).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Answers } from '../answers/types.js';
import { templatesDir } from '../paths.js';
import { buildStack } from '../stack/build.js';
import type { EnvSetting } from '../stack/types.js';

export { DB_HOST, DB_PORT, DB_SECRET, dbName } from '../stack/modules/postgres.js';
export { REDIS_HOST, REDIS_PORT, REDIS_SECRET } from '../stack/modules/redis.js';
export { ENTRYPOINT_FILE } from '../stack/view.js';

export type ResolvedEnv = Pick<EnvSetting, 'name' | 'value' | 'secrets'>;

/** Every --env entry, resolved for compose. */
export function resolveAppEnv(a: Answers): ResolvedEnv[] {
  return buildStack(a).settings.map(({ name, value, secrets }) => ({ name, value, secrets }));
}

/** Secrets the app, worker and migrate read: the database's, Redis's and every {secret.NAME}. */
export function appSecrets(a: Answers): string[] {
  return buildStack(a).appSecrets;
}

/** Every secret file the stack needs (created by scripts/up.sh and smoke when missing). */
export function stackSecrets(a: Answers): string[] {
  return buildStack(a).secrets;
}

/** The entrypoint is needed only when some setting is filled from a secret at start. */
export function needsEntrypoint(a: Answers): boolean {
  return buildStack(a).entrypoint !== undefined;
}

/** The entrypoint (templates/entrypoint.py): fills secret tokens from /run/secrets, then execs the command. */
export function entrypointSource(version: string): string {
  return readFileSync(join(templatesDir, 'entrypoint.py'), 'utf8').replace('{{version}}', version);
}
