/** The generated project on disk, as a smoke run reads it: its compose files, answers and secrets. */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { completeStoredAnswers } from '../../answers/resolve.js';
import type { Answers } from '../../answers/types.js';
import { InputError } from '../../errors.js';
import { packageVersion } from '../../paths.js';
import { readManifest } from '../../write/manifest.js';

export const COMPOSE_FILE = 'docker-compose.yml';
export const GPU_COMPOSE_FILE = 'docker-compose.gpu.yml';

/** The answers a stack was generated from; a directory without a generated stack is bad input (exit 2). */
export async function readStackAnswers(dir: string): Promise<Answers> {
  if (!existsSync(join(dir, COMPOSE_FILE))) {
    throw new InputError(`${dir} has no ${COMPOSE_FILE}: run create-pyimage first`);
  }
  try {
    // Stored by this or an older version: answers it did not know yet take their defaults.
    return await completeStoredAnswers(readManifest(dir, packageVersion()).answers);
  } catch (error) {
    // Say where the bad answer was stored; the error stays what it is.
    if (error instanceof InputError) error.message = `.create-pyimage.json: ${error.message}`;
    throw error;
  }
}

/**
 * The secret files the stack reads, created the way scripts/up.sh does: random, 0444 in a 0700 dir.
 * A file that exists is kept. Returns the names it created.
 */
export function ensureSecrets(dir: string, names: string[]): string[] {
  const secrets = join(dir, 'secrets');
  const created: string[] = [];
  for (const name of names) {
    const file = join(secrets, name);
    if (existsSync(file) && readFileSync(file).length > 0) continue;
    const previous = process.umask(0o077);
    try {
      mkdirSync(secrets, { recursive: true, mode: 0o700 });
      // 48 bytes as scripts/lib.sh makes them: long enough for a Django SECRET_KEY (50+, W009).
      const value = randomBytes(48).toString('base64').replace(/[/+=\n]/g, '');
      writeFileSync(`${file}.tmp`, value, { mode: 0o444 });
      chmodSync(`${file}.tmp`, 0o444);
      renameSync(`${file}.tmp`, file);
    } finally {
      process.umask(previous);
    }
    chmodSync(secrets, 0o700);
    created.push(name);
  }
  return created;
}
