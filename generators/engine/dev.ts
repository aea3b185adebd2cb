/**
 * `create-pyimage dev`: runs the project's scripts/dev.sh (the development loop) in the foreground,
 * with the terminal attached. The script owns the loop: it checks Compose, starts the dev project
 * with watch and stops it on exit. This side only passes Ctrl-C / SIGTERM on and returns its code.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';

export const DEV_SCRIPT = 'scripts/dev.sh';

export interface DevOptions {
  /** Use the bind mount even when Compose has watch. */
  mount?: boolean;
  /** docker or podman (CONTAINER_ENGINE for the script). */
  engine?: string;
}

/** The script's path, or an InputError naming the fix when the project has none. */
export function devScript(dirArg: string | undefined): { dir: string; script: string } {
  const dir = resolve(dirArg ?? '.');
  const script = join(dir, DEV_SCRIPT);
  if (!existsSync(script)) {
    throw new InputError(`${DEV_SCRIPT} is missing in ${dir}: generate the stack there first (npx create-pyimage), or add the dev loop to an older one with \`npx create-pyimage update\``);
  }
  return { dir, script };
}

/** Runs scripts/dev.sh until it ends; resolves to its exit code (128 + signal when a signal ended it). */
export function runDev(dirArg: string | undefined, options: DevOptions = {}): Promise<number> {
  const { dir, script } = devScript(dirArg);
  const env = { ...process.env, ...(options.engine ? { CONTAINER_ENGINE: options.engine } : {}) };
  const child = spawn('bash', [script, ...(options.mount ? ['--mount'] : [])], { cwd: dir, env, stdio: 'inherit' });
  // Ctrl-C reaches the script through the terminal's process group; a TERM sent to us is passed on.
  // Either way the script's trap stops the dev project before it exits, and we wait for that.
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolvePromise(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}
