/**
 * What a container runs: the program behind CMD/ENTRYPOINT or a compose `command:`, with init
 * wrappers and entrypoint scripts looked through, and the few server options the rules judge.
 */

/** Program names that come from a Python distribution (the one that installs them). */
export const PROGRAM_DISTRIBUTIONS: Readonly<Record<string, string>> = {
  gunicorn: 'gunicorn',
  uvicorn: 'uvicorn',
  hypercorn: 'hypercorn',
  daphne: 'daphne',
  celery: 'celery',
  rq: 'rq',
  dramatiq: 'dramatiq',
  flask: 'flask',
  alembic: 'alembic',
  'django-admin': 'django',
};

/** `python -m <module>` for the same programs. */
const MODULE_DISTRIBUTIONS: Readonly<Record<string, string>> = { ...PROGRAM_DISTRIBUTIONS, django: 'django' };

const WRAPPERS = new Set(['tini', 'dumb-init', 'exec', 'env']);

function base(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

/** The command line the container really runs: ENTRYPOINT (wrappers and scripts skipped) + CMD. */
export function effectiveArgv(entrypoint: readonly string[] | undefined, cmd: readonly string[] | undefined): string[] {
  let words = [...(entrypoint ?? [])];
  // Skip init wrappers and their options (`tini --`, `dumb-init --`, `gosu app`, `env A=b`).
  for (;;) {
    const first = words[0];
    if (first === undefined) break;
    const name = base(first);
    if (WRAPPERS.has(name)) {
      words = words.slice(1);
      while (words[0] !== undefined && (words[0].startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]))) words = words.slice(1);
      continue;
    }
    if (name === 'gosu' || name === 'su-exec') {
      words = words.slice(2);
      continue;
    }
    break;
  }
  // An entrypoint script usually ends with `exec "$@"`: the program is CMD.
  if (words.length > 0 && /\.(sh|bash)$/.test(words[0]!)) words = [];
  return [...words, ...(cmd ?? [])];
}

export interface Program {
  /** The executable as written (`gunicorn`, `/opt/venv/bin/uvicorn`, `python`). */
  executable: string;
  /** The Python distribution that must provide it, when it is one of the known servers/tools. */
  distribution?: string;
  /** `gunicorn`, `uvicorn`, ... (also for `python -m uvicorn`); undefined for anything else. */
  server?: string;
  /** The arguments after the program (after `-m module` for python -m). */
  args: string[];
}

/** What argv runs, or undefined for an empty command. */
export function programOf(argv: readonly string[]): Program | undefined {
  const executable = argv[0];
  if (executable === undefined) return undefined;
  const name = base(executable);
  if (/^python(\d+(\.\d+)?)?$/.test(name)) {
    const m = argv.indexOf('-m');
    const module = m > 0 ? argv[m + 1] : undefined;
    const distribution = module === undefined ? undefined : MODULE_DISTRIBUTIONS[module];
    return { executable, distribution, server: distribution ? module : undefined, args: m > 0 ? argv.slice(m + 2) : argv.slice(1) };
  }
  const distribution = PROGRAM_DISTRIBUTIONS[name];
  return { executable, distribution, server: distribution ? name : undefined, args: argv.slice(1) };
}

/** Values of an option in argv: `--bind X`, `--bind=X`, `-b X`, `-bX`. */
export function optionValues(args: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    for (const n of names) {
      if (w === n && args[i + 1] !== undefined) out.push(args[i + 1]!);
      else if (n.startsWith('--') && w.startsWith(`${n}=`)) out.push(w.slice(n.length + 1));
      else if (!n.startsWith('--') && w.startsWith(n) && w.length > n.length && !w.startsWith('--')) out.push(w.slice(n.length));
    }
  }
  return out;
}

export function hasOption(args: readonly string[], names: readonly string[]): boolean {
  return args.some((w) => names.some((n) => w === n || w.startsWith(`${n}=`)));
}

/** Seconds of a number or a compose duration (`30s`, `1m30s`, `500ms`); undefined when unreadable. */
export function seconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const text = String(value ?? '').trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g;
  let total = 0;
  let consumed = '';
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : m[2] === 'ms' ? n / 1000 : 0;
    consumed += m[0];
  }
  return consumed === text && text !== '' ? total : undefined;
}

/** Graceful-shutdown timeout of a server command in seconds (gunicorn defaults to 30). */
export function gracefulTimeout(program: Program | undefined): number | undefined {
  if (!program?.server) return undefined;
  if (program.server === 'gunicorn') {
    const v = optionValues(program.args, ['--graceful-timeout'])[0];
    return v === undefined ? 30 : seconds(v);
  }
  if (program.server === 'uvicorn') {
    const v = optionValues(program.args, ['--timeout-graceful-shutdown'])[0];
    return v === undefined ? undefined : seconds(v);
  }
  return undefined;
}

/** DF-21: why a gunicorn command keeps its heartbeat off tmpfs, or null when fine / not gunicorn. */
export function workerTmpDirProblem(program: Program | undefined, env: ReadonlyMap<string, string> = new Map()): string | null {
  if (program?.server !== 'gunicorn') return null;
  if (hasOption(program.args, ['-c', '--config']) || /worker-tmp-dir/.test(env.get('GUNICORN_CMD_ARGS') ?? '')) return null;
  const dir = optionValues(program.args, ['--worker-tmp-dir'])[0];
  if (dir === '/dev/shm') return null;
  return dir === undefined ? 'gunicorn runs without `--worker-tmp-dir /dev/shm`: its worker heartbeat goes to /tmp on the overlay filesystem' : `gunicorn's \`--worker-tmp-dir ${dir}\` is not the /dev/shm tmpfs`;
}
