/**
 * The installed ShellCheck as a runner for the script audit (scripts.ts): found on PATH, run with the
 * optional checks of SH-06, many scripts in one process, results cached between runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { ShellcheckComment, ShellcheckRunner } from './types.js';

let cachedShellcheck: SystemShellcheck | null | undefined;

export interface SystemShellcheck {
  runner: ShellcheckRunner;
  version: string;
  /** Checks many scripts with one ShellCheck process; the runner then answers from memory. */
  prefetch: (contents: string[]) => void;
}

/** The optional ShellCheck checks checklist rule SH-06 asks for, and the codes they report. */
export const SH06_OPTIONAL_CHECKS = 'check-set-e-suppressed,check-extra-masked-returns,require-variable-braces,quote-safe-variables,add-default-case,avoid-nullary-conditions';
/** json1 (comments under a key, with fix suggestions for --fix) and the optional checks of SH-06. */
const SHELLCHECK_ARGS = ['-f', 'json1', '-e', 'SC1090,SC1091', '-o', SH06_OPTIONAL_CHECKS];

/** `shellcheck` on PATH, identified by path, size and mtime (a new build invalidates cached results). */
function findShellcheck(): { path: string; id: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, 'shellcheck');
    try {
      const st = statSync(path);
      if (st.isFile()) return { path, id: `${path}:${st.size}:${st.mtimeMs}:${SHELLCHECK_ARGS.join(' ')}` };
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Results are pure (same ShellCheck, same options, same text: same comments), so they are kept between
 * runs in the user's cache directory: generating the same scripts again starts no ShellCheck at all.
 * The file is keyed by the ShellCheck binary (path, size, mtime) and its options; each entry by the
 * SHA-256 of the exact text checked, and sealed with a digest over that key, the ShellCheck version and
 * the comments. An entry that is missing, malformed or fails its seal (a torn write, a hand edit, a
 * mix-up between versions) is a miss: the script is checked again, never passed on a bad entry.
 */
function resultCache(id: string) {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'create-pyimage');
  // A file of its own per format: a version of create-pyimage that reads another layout never sees this one.
  const file = join(dir, 'shellcheck-2.json');
  type Entry = { comments: ShellcheckComment[]; seal: string };
  let stored: { id: string; version: string; results: Record<string, Entry> } = { id, version: '', results: {} };
  try {
    const read = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
    if (read.id === id && read.results && typeof read.results === 'object' && typeof read.version === 'string') stored = read;
  } catch {
    // no cache yet, or unreadable: start empty
  }
  const seal = (key: string, comments: ShellcheckComment[]) => hash(`${CACHE_FORMAT}\n${id}\n${stored.version}\n${key}\n${JSON.stringify(comments)}`);
  let dirty = false;
  return {
    version: () => stored.version,
    setVersion: (version: string) => {
      if (version !== stored.version) stored.results = {};
      stored.version = version;
      dirty = true;
    },
    get: (key: string): ShellcheckComment[] | undefined => {
      const entry = stored.results[key];
      if (!entry || !Array.isArray(entry.comments) || entry.seal !== seal(key, entry.comments)) return undefined;
      return entry.comments;
    },
    set: (key: string, comments: ShellcheckComment[]) => {
      const keys = Object.keys(stored.results);
      if (keys.length >= 500) delete stored.results[keys[0]!];
      stored.results[key] = { comments, seal: seal(key, comments) };
      dirty = true;
    },
    save: () => {
      if (!dirty) return;
      try {
        mkdirSync(dir, { recursive: true });
        const tmp = `${file}.${process.pid}`;
        writeFileSync(tmp, JSON.stringify(stored));
        renameSync(tmp, file);
        dirty = false;
      } catch {
        // a cache we cannot write only costs time
      }
    },
  };
}

/** Changes when the cache's layout or meaning changes: older files then miss. */
const CACHE_FORMAT = 'create-pyimage shellcheck cache 2';
const hash = (content: string) => createHash('sha256').update(content).digest('hex');

/** The installed ShellCheck as a runner, or null when it is not installed. */
export function systemShellcheck(): SystemShellcheck | null {
  if (cachedShellcheck !== undefined) return cachedShellcheck;
  const found = findShellcheck();
  if (!found) return (cachedShellcheck = null);
  const cache = resultCache(found.id);
  let version = cache.version();
  if (!version) {
    const probe = spawnSync(found.path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.error || probe.status !== 0) return (cachedShellcheck = null);
    version = /version:\s*(\S+)/.exec(probe.stdout)?.[1] ?? 'unknown';
    cache.setVersion(version);
    cache.save();
  }
  const parse = (stdout: string): ShellcheckComment[] | null => {
    try {
      return (JSON.parse(stdout || '{"comments":[]}') as { comments: ShellcheckComment[] }).comments;
    } catch {
      return null;
    }
  };
  const runOne = (content: string): ShellcheckComment[] | null => {
    const args = [...SHELLCHECK_ARGS];
    if (!content.startsWith('#!')) args.push('-s', 'bash');
    args.push('-');
    const result = spawnSync(found.path, args, { input: content, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
    if (result.error || (result.status !== 0 && result.status !== 1)) return null;
    return parse(result.stdout);
  };
  // Many scripts are audited again and again (the generator's matrix, re-runs): remember results.
  const runner: ShellcheckRunner = (content) => {
    const key = hash(content);
    const known = cache.get(key);
    if (known) return known;
    const comments = runOne(content);
    if (comments) cache.set(key, comments);
    return comments;
  };
  const prefetch = (contents: string[]) => {
    // Scripts with a shebang (ShellCheck reads the dialect from it), not yet known: one process.
    const todo = [...new Set(contents)].filter((c) => c.startsWith('#!') && cache.get(hash(c)) === undefined);
    if (todo.length < 2) return;
    const tmp = mkdtempSync(join(tmpdir(), 'pyimage-shellcheck-'));
    try {
      const files = todo.map((content, i) => {
        const file = join(tmp, `${i}.sh`);
        writeFileSync(file, content);
        return file;
      });
      const result = spawnSync(found.path, [...SHELLCHECK_ARGS, ...files], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      if (result.error || (result.status !== 0 && result.status !== 1)) return; // each script is then checked alone
      const comments = parse(result.stdout);
      if (!comments) return;
      files.forEach((file, i) => cache.set(hash(todo[i]!), comments.filter((c) => c.file === file).map(({ file: _file, ...c }) => c)));
      cache.save();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  };
  process.once('exit', cache.save);
  cachedShellcheck = { runner, version, prefetch };
  return cachedShellcheck;
}
