/** Shared test helpers: compose-spec validation, temp dirs, running the compiled CLI. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
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

let stackValidator: ValidateFunction | undefined;

/**
 * What `docker stack deploy` does to a stack file before it checks it, with nothing exported:
 * `${VAR:-default}` becomes the default, `$$` a `$`. A variable without a default is an error
 * there too ("required variable"), so it is reported here.
 */
export function interpolateStackDefaults(value: unknown, missing: string[] = []): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/\$\$/g, '\u0000')
      .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) => {
        if (fallback === undefined) missing.push(whole);
        return fallback ?? '';
      })
      .replace(/\u0000/g, '$');
  }
  if (Array.isArray(value)) return value.map((v) => interpolateStackDefaults(v, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateStackDefaults(v, missing)]));
  }
  return value;
}

/**
 * Validates a parsed stack file against ../shared/schemas/docker-stack-v3.13.json (draft-04, the
 * schema `docker stack deploy` enforces), after the CLI's default interpolation. Its three custom
 * formats are checked as the docker CLI does: Go durations and port specs.
 */
export function validateStack(doc: unknown): { valid: boolean; errors: string } {
  if (!stackValidator) {
    // A CommonJS module: the class is module.exports and its own `default`.
    const AjvDraft04 = AjvDraft04Module.default;
    const schema = JSON.parse(readFileSync(join(sharedDir, 'schemas', 'docker-stack-v3.13.json'), 'utf8'));
    const ajv = new AjvDraft04({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
    const port = String.raw`(?:\d+(?:-\d+)?)`;
    ajv.addFormat('ports', new RegExp(String.raw`^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(?:${port}?:)?${port}(?:/(?:tcp|udp|sctp))?$`));
    ajv.addFormat('expose', new RegExp(String.raw`^${port}(?:/(?:tcp|udp|sctp))?$`));
    stackValidator = ajv.compile(schema);
  }
  const validate: ValidateFunction = stackValidator;
  const missing: string[] = [];
  const interpolated = interpolateStackDefaults(doc, missing);
  const valid = validate(interpolated) && missing.length === 0;
  const errors = missing.length > 0 ? `variables without a default: ${missing.join(', ')}` : JSON.stringify(validate.errors, null, 1);
  return { valid, errors: valid ? '' : errors };
}
