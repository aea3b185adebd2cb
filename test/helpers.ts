/** Shared test helpers: compose-spec validation, temp dirs, running the compiled CLI. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { execa } from 'execa';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const sharedDir = resolve(repoRoot, '..', 'shared');
export const cliPath = join(repoRoot, 'bin', 'create-pyimage.js');

let validator: ValidateFunction | undefined;

/** Validates a parsed compose document against ../shared/schemas/compose-spec.json. */
export function validateCompose(doc: unknown): { valid: boolean; errors: string } {
  if (!validator) {
    // The schema names its draft by an https URL Ajv does not alias; it is draft-07, Ajv's default.
    const schema = JSON.parse(readFileSync(join(sharedDir, 'schemas', 'compose-spec.json'), 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true, validateSchema: false });
    validator = ajv.compile(schema);
  }
  const valid = validator(doc);
  return { valid, errors: valid ? '' : JSON.stringify(validator.errors, null, 1) };
}

export function tempDir(prefix = 'pyimage-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the compiled CLI without a terminal (so it never prompts). */
export async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return execa('node', [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { CI: 'true', ...options.env },
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
}

/** Every file under dir (path -> mode and content), to prove that nothing changed. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out.set(child, `${(statSync(join(dir, child)).mode & 0o777).toString(8)} ${readFileSync(join(dir, child), 'utf8')}`);
    }
  };
  walk('');
  return out;
}
