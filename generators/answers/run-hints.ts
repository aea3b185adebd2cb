/**
 * The project's own run commands, read as hints: a Dockerfile's ENTRYPOINT + CMD, Procfile's `web:`,
 * App Engine's app.yaml `entrypoint`, render.yaml `startCommand`, DigitalOcean's .do/app.yaml
 * `run_command`, startup.sh, and gunicorn.conf.py (`wsgi_app`, `bind`, `worker_class`, `workers`,
 * read with the parser). Each names the server, the app (`module:attr`), a bind and a port where it
 * spells them out. Nothing here decides: detect.ts checks each app against the code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';
import { children, PyFile, type PyNode } from './scan/python.js';

export interface RunHint {
  /** Where it was read: `Dockerfile:12 (CMD)`, `Procfile:1`, `render.yaml (startCommand)`. */
  source: string;
  server?: 'gunicorn' | 'uvicorn' | 'other';
  /** `module:attr`, or `module:factory()` (uvicorn --factory, gunicorn's call syntax). */
  app?: string;
  /** gunicorn --chdir / uvicorn --app-dir: the folder the module is imported from. */
  appDir?: string;
  bind?: string;
  port?: number;
  workerClass?: string;
  /** gunicorn -c FILE. */
  config?: string;
}

/** What a gunicorn.conf.py sets, as written (values we could read; the rest are left out). */
export interface GunicornConf {
  file: string;
  settings: Map<string, { value: string; line: number; env?: string }>;
}

const GUNICORN_VALUE_FLAGS = new Set(['-c', '--config', '-b', '--bind', '-k', '--worker-class', '-w', '--workers', '--threads', '-t', '--timeout', '--chdir', '--log-level', '--access-logfile', '--error-logfile', '--log-file', '--pythonpath', '-e', '--env', '--worker-tmp-dir', '--graceful-timeout', '--keep-alive', '--max-requests', '--max-requests-jitter', '-p', '--pid', '-n', '--name', '-u', '--user', '-g', '--group', '--log-config', '--forwarded-allow-ips', '--backlog', '--certfile', '--keyfile', '--access-logformat', '--worker-connections', '--umask', '--limit-request-line']);
const UVICORN_VALUE_FLAGS = new Set(['--host', '--port', '--workers', '--app-dir', '--log-level', '--root-path', '--env-file', '--forwarded-allow-ips', '--uds', '--fd', '--lifespan', '--loop', '--http', '--ws', '--timeout-keep-alive', '--log-config', '--limit-concurrency', '--backlog', '--reload-dir', '--ssl-keyfile', '--ssl-certfile', '--h11-max-incomplete-event-size', '--interface']);
const SERVERS = ['gunicorn', 'uvicorn', 'hypercorn', 'daphne', 'waitress-serve'];

/** Words of a shell command line, tolerant: quotes kept together, `&&`, `;`, `|` and newlines end a segment, `$X` stays as text. */
export function shellSegments(line: string): string[][] {
  const segments: string[][] = [];
  let words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  const endWord = () => {
    if (inWord) words.push(current);
    current = '';
    inWord = false;
  };
  const endSegment = () => {
    endWord();
    if (words.length > 0) segments.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && line[i + 1] === '\n') {
      i++;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      endWord();
    } else if (ch === '\n' || ch === ';' || ch === '|' || ch === '&' || ch === '#') {
      if (ch === '#' && inWord) {
        current += ch;
        continue;
      }
      if (ch === '#') while (i + 1 < line.length && line[i + 1] !== '\n') i++;
      endSegment();
    } else {
      current += ch;
      inWord = true;
    }
  }
  endSegment();
  return segments;
}

/** A literal port in `0.0.0.0:8080`, `:8080`, `${PORT:-8080}`; undefined for `$PORT` alone. */
export function portOf(bind: string): number | undefined {
  const fallback = /\$\{\w+:-(\d+)\}\s*$/.exec(bind);
  const literal = /:(\d+)$/.exec(bind) ?? (/^(\d+)$/.exec(bind) as RegExpExecArray | null);
  const port = Number(fallback?.[1] ?? literal?.[1]);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/** The server invocation in one segment of words, or undefined when the segment runs no server. */
export function commandHint(words: string[], source: string): RunHint | undefined {
  // `gunicorn ...`, `/venv/bin/gunicorn ...` and `python -m gunicorn ...` alike
  const i = words.findIndex((w) => SERVERS.includes(w.split('/').pop()!));
  if (i === -1) return undefined;
  const name = words[i]!.split('/').pop()!;
  const server = name === 'gunicorn' || name === 'uvicorn' ? name : 'other';
  const hint: RunHint = { source, server };
  const valueFlags = server === 'uvicorn' ? UVICORN_VALUE_FLAGS : GUNICORN_VALUE_FLAGS;
  let factory = false;
  let host: string | undefined;
  for (let k = i + 1; k < words.length; k++) {
    const word = words[k]!;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq === -1 ? word : word.slice(0, eq);
    if (flag.startsWith('-')) {
      const takes = valueFlags.has(flag);
      const value = eq !== -1 ? word.slice(eq + 1) : takes ? words[++k] : undefined;
      if (flag === '--factory') factory = true;
      if (value === undefined) continue;
      if (flag === '-b' || flag === '--bind') hint.bind = value;
      else if (flag === '--host') host = value;
      else if (flag === '--port') hint.port = portOf(value);
      else if (flag === '-k' || flag === '--worker-class') hint.workerClass = value;
      else if (flag === '--chdir' || flag === '--app-dir') hint.appDir = value.replace(/^\.\/|\/+$/g, '');
      else if (flag === '-c' || flag === '--config') hint.config = value;
      continue;
    }
    if (!hint.app && /^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\(.*\))?$/.test(word)) hint.app = word;
  }
  if (hint.app && factory && !hint.app.endsWith(')')) hint.app = `${hint.app}()`;
  if (hint.bind) hint.port = portOf(hint.bind);
  else if (host && hint.port) hint.bind = `${host}:${hint.port}`;
  return hint;
}

function hintsOfLine(text: string, source: string): RunHint[] {
  return shellSegments(text)
    .map((words) => commandHint(words, source))
    .filter((h): h is RunHint => h !== undefined);
}

function read(projectDir: string, rel: string): string | undefined {
  const path = join(projectDir, rel);
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function dockerfileHints(text: string): RunHint[] {
  const instructions = DockerfileParser.parse(text).getInstructions();
  const last = (keyword: string) => [...instructions].reverse().find((i) => i.getKeyword() === keyword);
  const words = (keyword: string): { words: string[]; line: number } | undefined => {
    const instruction = last(keyword);
    const content = instruction?.getArgumentsContent();
    if (!instruction || !content) return undefined;
    const line = instruction.getRange().start.line + 1;
    if (content.trim().startsWith('[')) {
      try {
        const parsed = JSON.parse(content) as unknown;
        if (Array.isArray(parsed)) return { words: parsed.map(String), line };
      } catch {
        /* shell form after all */
      }
    }
    return { words: shellSegments(content).flat(), line };
  };
  const entrypoint = words('ENTRYPOINT');
  const cmd = words('CMD');
  const all = [...(entrypoint?.words ?? []), ...(cmd?.words ?? [])];
  // `sh -c "gunicorn ..."`: the script is one word
  const script = all.findIndex((w, k) => w === '-c' && /(^|\/)(ba)?sh$/.test(all[k - 1] ?? ''));
  const line = cmd?.line ?? entrypoint?.line;
  const source = `Dockerfile:${line} (${entrypoint && cmd ? 'ENTRYPOINT + CMD' : cmd ? 'CMD' : 'ENTRYPOINT'})`;
  if (script !== -1 && all[script + 1]) return hintsOfLine(all[script + 1]!, source);
  const hint = all.length > 0 ? commandHint(all, source) : undefined;
  return hint ? [hint] : [];
}

/** A list of `{key: command}` from YAML services (render.yaml, .do/app.yaml). */
function yamlCommands(text: string, key: string): string[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === key && typeof v === 'string') out.push(v);
        else visit(v);
      }
    }
  };
  visit(data);
  return out;
}

/** Run commands in the order they are trusted: the Dockerfile, then platform files, then scripts, then gunicorn.conf.py. */
export function readRunHints(projectDir: string): RunHint[] {
  const hints: RunHint[] = [];
  const dockerfile = read(projectDir, 'Dockerfile');
  if (dockerfile) hints.push(...dockerfileHints(dockerfile));
  const procfile = read(projectDir, 'Procfile');
  if (procfile) {
    procfile.split(/\r?\n/).forEach((line, index) => {
      const match = /^web:\s*(.*)$/.exec(line.trim());
      if (match) hints.push(...hintsOfLine(match[1]!, `Procfile:${index + 1}`));
    });
  }
  for (const [rel, key] of [['app.yaml', 'entrypoint'], ['render.yaml', 'startCommand'], ['.do/app.yaml', 'run_command']] as const) {
    const text = read(projectDir, rel);
    if (text) for (const command of yamlCommands(text, key)) hints.push(...hintsOfLine(command, `${rel} (${key})`));
  }
  for (const rel of ['startup.sh', 'startup.txt', 'entrypoint.sh', 'start.sh', 'run.sh']) {
    const text = read(projectDir, rel);
    if (text) hints.push(...hintsOfLine(text.replace(/^exec\s+/gm, ''), rel));
  }
  const conf = readGunicornConf(projectDir);
  const wsgiApp = conf?.settings.get('wsgi_app');
  if (conf && wsgiApp) hints.push({ source: `${conf.file}:${wsgiApp.line} (wsgi_app)`, server: 'gunicorn', app: wsgiApp.value });
  return hints;
}

/** A value we can read without running Python: literals, `os.environ.get("X", "d")`, `"0.0.0.0:" + os.getenv("PORT", "8000")`, f-strings of those. */
function confValue(file: PyFile, node: PyNode): { value: string; env?: string } | undefined {
  const literal = file.literalText(node);
  if (literal !== undefined) return { value: literal };
  if (node.name === 'ArrayExpression' || node.name === 'TupleExpression') {
    const items = children(node).filter((part) => !['[', ']', '(', ')', ','].includes(part.name));
    return items.length === 1 ? confValue(file, items[0]!) : undefined;
  }
  if (node.name === 'CallExpression' && ['os.environ.get', 'os.getenv'].includes(file.callee(node) ?? '')) {
    const [name, fallback] = file.args(node).positional;
    const env = file.stringValue(name);
    const value = fallback && file.literalText(fallback);
    return env && value !== undefined ? { value, env } : undefined;
  }
  if (node.name === 'CallExpression' && ['int', 'str'].includes(file.callee(node) ?? '')) {
    const inner = file.args(node).positional[0];
    return inner ? confValue(file, inner) : undefined;
  }
  if (node.name === 'BinaryExpression') {
    const [left, op, right] = children(node);
    if (!left || !right || !op || file.text(op) !== '+') return undefined;
    const a = confValue(file, left);
    const b = confValue(file, right);
    return a && b ? { value: a.value + b.value, env: a.env ?? b.env } : undefined;
  }
  if (node.name === 'FormatString') {
    let out = '';
    let env: string | undefined;
    const raw = file.text(node);
    const quoteAt = raw.search(/['"]/);
    const quote = raw.startsWith('"""', quoteAt) || raw.startsWith("'''", quoteAt) ? 3 : 1;
    let at = node.from + quoteAt + quote;
    for (const part of children(node)) {
      out += file.src.slice(at, part.from);
      const inner = children(part).find((p) => p.name !== '{' && p.name !== '}');
      const value = inner && confValue(file, inner);
      if (!value) return undefined;
      out += value.value;
      env ??= value.env;
      at = part.to;
    }
    out += file.src.slice(at, node.to - quote);
    return { value: out, env };
  }
  return undefined;
}

/** gunicorn.conf.py in the project root (gunicorn loads it from the working directory by default). */
export function readGunicornConf(projectDir: string, rel = 'gunicorn.conf.py'): GunicornConf | undefined {
  const text = read(projectDir, rel);
  if (text === undefined) return undefined;
  const file = new PyFile(rel, 'gunicorn_conf', text);
  const settings = new Map<string, { value: string; line: number; env?: string }>();
  for (const [name, node] of file.assignments) {
    const value = confValue(file, node);
    if (value) settings.set(name, { ...value, line: file.line(node) });
  }
  return { file: rel, settings };
}
