/**
 * The app's own settings contract (`--env NAME=VALUE`) and its writable state (`--state-dir PATH`):
 * parsing and validation of what a user (or detection) gives. Placeholders in a value name the
 * stack's services ({db.url}, {redis.url}) and generated secrets ({secret.NAME}); render resolves
 * them, and anything that holds a password is filled in only when the container starts.
 */
import { posix } from 'node:path';
import { AnswerError } from './errors.js';
import { holdsSecret, PLACEHOLDER_RE, placeholderUsage, splitValue, type ValuePart } from './placeholders.js';

export interface EnvEntry {
  name: string;
  value: string;
  /** The value split into literal text and looked-up placeholders (the stack resolves these). */
  parts: ValuePart[];
}

export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export { PLACEHOLDER_RE, SECRET_NAME_RE } from './placeholders.js';

/**
 * Names that hold credentials: their value must come from a secret, never a literal in compose.
 * The audit's CP-19 pattern (generators/audit/util.ts SECRET_NAME), plus a bare *PASS suffix (DBPASS).
 */
export const SECRET_NAME_HINT = /(password|passwd|secret|token|api_?key|client_key|private_?key|access_key|credential|pass$)/i;

/** `NAME=VALUE` -> entry; throws AnswerError naming --env and the fix. */
export function parseEnvEntry(raw: string): EnvEntry {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) {
    throw new AnswerError('env', `${JSON.stringify(raw)} must be one line without control characters (newlines, tabs)`);
  }
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new AnswerError('env', `${JSON.stringify(raw)} is not NAME=VALUE; write e.g. --env DATABASE_URL={db.url}`);
  const name = raw.slice(0, eq).trim();
  const value = raw.slice(eq + 1);
  if (!ENV_NAME_RE.test(name)) {
    throw new AnswerError('env', `${JSON.stringify(name)} is not a variable name; use letters, digits and _ (e.g. DATABASE_URL)`);
  }
  if (value.length > 2000) throw new AnswerError('env', `${name}: the value is longer than 2000 characters`);
  let parts: ValuePart[];
  try {
    parts = splitValue(value);
  } catch (error) {
    throw new AnswerError('env', `${name}: ${(error as Error).message}`);
  }
  const rest = value.replace(PLACEHOLDER_RE, '');
  if (/\{[a-z]+\.[^}]*\}/.test(rest)) {
    throw new AnswerError('env', `${name}: unknown placeholder in ${JSON.stringify(value)}; ${placeholderUsage()}`);
  }
  if (SECRET_NAME_HINT.test(name) && value !== '' && !parts.some((p) => p.placeholder && holdsSecret(p.placeholder))) {
    throw new AnswerError(
      'env',
      `${name} holds a secret, so its value must not be written into docker-compose.yml: use --env ${name}={secret.${name.toLowerCase()}} ` +
        `(a random value is generated in secrets/${name.toLowerCase()}; put your own value in that file instead if you have one)`,
    );
  }
  return { name, value, parts };
}

/** The --env answer: a list of NAME=VALUE (or a mapping in an answers file), one entry per name (the last wins). */
export function parseEnvList(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === false || raw === '') return [];
  let items: string[];
  if (Array.isArray(raw)) items = raw.map((x) => (typeof x === 'string' ? x : String(x)));
  else if (typeof raw === 'string') items = [raw];
  else if (typeof raw === 'object') items = Object.entries(raw as Record<string, unknown>).map(([k, v]) => `${k}=${v === null ? '' : String(v)}`);
  else throw new AnswerError('env', `expected NAME=VALUE entries, got ${JSON.stringify(raw)}`);
  const byName = new Map<string, string>();
  for (const item of items) {
    const entry = parseEnvEntry(item);
    byName.delete(entry.name);
    byName.set(entry.name, `${entry.name}=${entry.value}`);
  }
  return [...byName.values()];
}

export function envEntries(list: string[]): EnvEntry[] {
  return list.map(parseEnvEntry);
}

/** The {family.key} placeholders a list uses, e.g. ["db.url", "secret.secret_key"]. */
export function placeholdersIn(list: string[]): string[] {
  const out = new Set<string>();
  for (const { parts } of envEntries(list)) for (const { placeholder } of parts) if (placeholder) out.add(placeholder.text.slice(1, -1));
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// Writable state
// ---------------------------------------------------------------------------------------------

/** Where state may live in the container: beside the code, in the virtualenv's var/, or a data root. */
export const STATE_ROOTS = ['/app', '/opt/venv/var', '/data', '/srv', '/var/lib'];
const STATE_CHARS_RE = /^[A-Za-z0-9._/-]+$/;

/** A path in the container; relative paths are taken from /app (the working directory). */
export function parseStateDir(raw: string): string {
  const text = raw.trim();
  if (!STATE_CHARS_RE.test(text)) {
    throw new AnswerError('state-dir', `${JSON.stringify(raw)} is not allowed; use letters, digits and . _ - / (e.g. /app/instance or uploads)`);
  }
  if (text.split('/').includes('..')) throw new AnswerError('state-dir', `${JSON.stringify(raw)} must not contain ".."`);
  const path = posix.normalize(text.startsWith('/') ? text : posix.join('/app', text)).replace(/\/+$/, '') || '/';
  const root = STATE_ROOTS.find((r) => path.startsWith(`${r}/`));
  if (!root) {
    throw new AnswerError(
      'state-dir',
      `${JSON.stringify(raw)} is ${path === '/' || STATE_ROOTS.includes(path) ? 'a whole system or code directory' : "outside the container's data paths"}; ` +
        `give a directory under ${STATE_ROOTS.join(', ')} (e.g. /app/instance, /opt/venv/var/myapp-instance, /data/uploads)`,
    );
  }
  return path;
}

export function parseStateDirs(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === false || raw === '') return [];
  const items = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw new AnswerError('state-dir', `expected a path, got ${JSON.stringify(item)}`);
    const path = parseStateDir(item);
    if (!out.includes(path)) out.push(path);
  }
  // A directory inside another state directory is already kept by that one's volume.
  return out.filter((p) => !out.some((q) => q !== p && p.startsWith(`${q}/`)));
}

/** The named volume for a state directory: /app/instance -> state-app-instance. */
export function stateVolumeName(path: string): string {
  return `state-${path.replace(/^\/+/, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '').toLowerCase()}`;
}
