/** Small helpers shared by the audit modules: image references, interpolation, shell words. */

/** The value as a plain object (a YAML mapping), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Why an image reference is not pinned, or null when it is (or cannot be judged). */
export function imagePinProblem(ref: string): string | null {
  const image = ref.trim();
  if (image === '' || image === 'scratch') return null;
  if (image.includes('$')) return null; // unresolved variable: judged by the caller
  if (/@sha256:[0-9a-f]{64}$/i.test(image)) return null;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return `\`${image}\` has no tag (Docker pulls \`:latest\`)`;
  const tag = image.slice(colon + 1).replace(/@.*$/, '');
  if (tag === 'latest') return `\`${image}\` uses the \`:latest\` tag`;
  if (tag === '') return `\`${image}\` has an empty tag`;
  return null;
}

/** A value and where it came from, for variables from an env file. */
/** Set in every shell that runs compose: not configuration a project documents or requires. */
export const HOST_SHELL_VARIABLES = new Set(['HOME', 'PWD', 'USER', 'HOSTNAME', 'PATH', 'SHELL', 'LOGNAME', 'TMPDIR']);

/** One `KEY=value` line of a `.env*` file, with where it stands. */
export interface EnvEntry extends EnvValue {
  key: string;
}

export interface EnvValue {
  value: string;
  file: string;
  line: number;
}

export interface Interpolated {
  value: string;
  /** A `${VAR}` without value and default, or `${VAR:?}` unset: the real value is unknown. */
  unresolved: boolean;
  /** Values taken from the env file, e.g. `APP_BIND_IP=0.0.0.0 (.env:3)`. */
  fromEnv: string[];
}

/**
 * Compose interpolation (compose-spec 12-interpolation.md): `$$`, `$VAR`, `${VAR}`, `${VAR:-d}`,
 * `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`, `${VAR:+a}`, `${VAR+a}`, with nested defaults.
 */
export function interpolate(input: string, env: ReadonlyMap<string, EnvValue>): Interpolated {
  const result: Interpolated = { value: '', unresolved: false, fromEnv: [] };
  const lookup = (name: string): string | undefined => {
    const hit = env.get(name);
    if (hit === undefined) return undefined;
    result.fromEnv.push(`${name}=${hit.value} (${hit.file}:${hit.line})`);
    return hit.value;
  };
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      // Find the matching brace (defaults may nest).
      let depth = 1;
      let j = i + 2;
      while (j < input.length && depth > 0) {
        if (input[j] === '{') depth++;
        else if (input[j] === '}') depth--;
        if (depth > 0) j++;
      }
      const body = input.slice(i + 2, j);
      i = j + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
      if (!m) {
        result.unresolved = true;
        continue;
      }
      const name = m[1]!;
      const op = m[2];
      const arg = m[3] ?? '';
      const value = lookup(name);
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      if (op === undefined) {
        if (!set) result.unresolved = true;
        out += value ?? '';
      } else if (op === ':-' || op === '-') {
        const useDefault = op === ':-' ? !nonEmpty : !set;
        if (useDefault) {
          const inner = interpolate(arg, env);
          result.unresolved ||= inner.unresolved;
          result.fromEnv.push(...inner.fromEnv);
          out += inner.value;
        } else out += value;
      } else if (op === ':?' || op === '?') {
        const missing = op === ':?' ? !nonEmpty : !set;
        if (missing) result.unresolved = true;
        else out += value;
      } else {
        // :+ / +
        const useAlt = op === ':+' ? nonEmpty : set;
        if (useAlt) {
          const inner = interpolate(arg, env);
          result.unresolved ||= inner.unresolved;
          out += inner.value;
        }
      }
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(i + 1));
    if (m) {
      const value = lookup(m[0]);
      if (value === undefined) result.unresolved = true;
      out += value ?? '';
      i += 1 + m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  result.value = out;
  return result;
}

/** Does the string contain a compose/shell variable reference (not `$$`)? */
export function hasVariable(value: string): boolean {
  return /(^|[^$])\$(\{|[A-Za-z_])/.test(value.replace(/\$\$/g, ''));
}


/** 1-based line numbers for offsets into a text. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Normalise `a/./b/../c` and strip a leading `./`. */
export function normalisePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** Secret-like variable names (DL3064 list + checklist CP-19/EV-02). */
export const SECRET_NAME = /(password|passwd|secret|token|api_?key|client_key|private_?key|access_key|credential)/i;

/** Proxy variables whose values must not be committed. NO_PROXY is a harmless list of hosts. */
export const PROXY_NAME = /^(https?|all|ftp)_proxy$/i;

/** Is this variable name a secret that holds a file path rather than the value (`*_FILE`)? */
export function isFileReference(name: string, value: string): boolean {
  if (SECRET_TOKEN.test(value)) return true;
  return /_(FILE|PATH|DIR)$/i.test(name) && (value === '' || value.startsWith('/') || value.startsWith('./'));
}

/** create-pyimage's entrypoint token: the value is read from /run/secrets/<name> when the container starts. */
export const SECRET_TOKEN = /\{secret(?:-url)?:[A-Za-z0-9_.-]+\}/;

/** Values that are obviously placeholders, not real secrets. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  return (
    v === '' ||
    /^<[^>]*>$/.test(v) ||
    /^(change-?me|changeit|replace-?me|todo|xxx+|\*+|\.\.\.|example|your[-_].*|set-?me)$/i.test(v) ||
    hasVariable(v)
  );
}

/** `777`, `0666`, `o+w`, `a+rwx`: does a chmod mode give write permission to everyone? */
export function worldWritable(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) return /[2367]$/.test(mode);
  return mode.split(',').some((clause) => /^[ugo]*[oa][ugoa]*[+=][rwxXst]*w/.test(clause));
}
