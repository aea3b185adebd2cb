/**
 * Reading a Dockerfile for the audit: dockerfile-ast's instructions as stages (with their base
 * chain, build arguments resolved, heredocs and RUN commands split), and the facts other checkers
 * use (commands, installs). No findings here: the rules are in dockerfile-rules.ts.
 */
import { DockerfileParser, type Flag, type Instruction } from 'dockerfile-ast';
import { shellWords, splitCommands } from './shell.js';

export interface SourceLine {
  line: number; // 1-based
  text: string;
}

export interface HeredocBlock {
  name: string;
  line: number; // the opener's line
  body: SourceLine[];
  /** The command that reads it (e.g. `cat > /app/run.sh`). */
  command: string;
}

export interface Instr {
  keyword: string;
  line: number;
  node: Instruction;
  flags: Flag[];
  /** Arguments without flags; for RUN the shell command (continuations joined by newlines). */
  args: string;
  /** The command part of a RUN/COPY, line by line (continuations kept apart), flags included. */
  lines: SourceLine[];
  heredocs: HeredocBlock[];
  /** RUN only: the stage's SHELL sets `-o pipefail` at this point. */
  pipefail?: boolean;
}

export interface Stage {
  index: number;
  alias?: string;
  line: number;
  /** FROM argument after resolving global ARG defaults. */
  image: string;
  rawImage: string;
  unresolvedArg?: string;
  base?: Stage;
  instrs: Instr[];
}

/** A CMD or ENTRYPOINT: its words (exec form parsed, shell form split) and line. */
export interface CommandFacts {
  argv: string[];
  line: number;
  exec: boolean;
}

/** What compose and dependency checks need to know about a Dockerfile. */
export interface DockerfileFacts {
  path: string;
  stages: { alias?: string; hasHealthcheck: boolean }[];
  /** HEALTHCHECK present in the given target (or the last stage, with its base stages). */
  hasHealthcheck(target?: string): boolean;
  /** The CMD and ENTRYPOINT in force in the given target (default: the last stage). */
  commands(target?: string): { cmd?: CommandFacts; entrypoint?: CommandFacts };
  /** Python distributions installed by name with pip / uv pip in any stage (ARG defaults resolved). */
  installs: Set<string>;
  /** The Dockerfile text (which dependency files it names). */
  content: string;
  /** The image the last stage is ultimately built FROM (ARG defaults resolved; '' when unknown). */
  baseImage: string;
}

/** PEP 503 name normalisation: `Flask_SQLAlchemy` -> `flask-sqlalchemy`. */
export function normaliseDistribution(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution a requirement specifier names (`uvicorn[standard]>=0.30` -> `uvicorn`), or undefined. */
export function requirementName(spec: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec);
  return m ? normaliseDistribution(m[1]!) : undefined;
}

export const TOOLCHAIN = /^(build-essential|gcc(-\d+)?|g\+\+(-\d+)?|cpp|make|cmake|ninja-build|clang(-\d+)?|llvm.*|git|autoconf|automake|libtool|pkg-config|pkgconf|cargo|rustc|build-base|musl-dev|linux-headers|[a-z0-9.+-]+-dev(el)?)$/;
export const OPS_TOOLS = /^(vim(-[a-z]+)?|nano|emacs(-nox)?|less|openssh-server|openssh-client|ssh|telnet|netcat(-[a-z]+)?|ncat|nmap|curl|wget|sudo|strace|gdb|tcpdump|iputils-ping|procps|net-tools|dnsutils)$/;

export function flagsOf(node: Instruction): Flag[] {
  const maybe = node as unknown as { getFlags?: () => Flag[] };
  return typeof maybe.getFlags === 'function' ? maybe.getFlags() : [];
}

/** Strip leading `--flag[=value]` words from an instruction's argument text. */
export function stripFlags(text: string): string {
  return text.replace(/^(\s*--[a-zA-Z-]+(=("[^"]*"|'[^']*'|\S*))?\s+)+/, '').trim();
}

/** JSON exec form `["a", "b"]` -> `a b`; anything else unchanged. */
export function execFormText(text: string): string {
  const t = text.trim();
  if (!t.startsWith('[')) return t;
  try {
    const parsed: unknown = JSON.parse(t);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed.join(' ');
  } catch {
    // not JSON: shell form that starts with [
  }
  return t;
}

export const HEREDOC_OPEN = /(?<!<)<<(?!<)(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_-]*)\2/g;

/**
 * Read one RUN/COPY/ADD from the raw lines: the command part (with `\` continuations, skipping
 * comment lines) and any heredoc bodies after it. Returns the last line it covers (1-based).
 */
export function readCommand(raw: string[], startLine: number): { lines: SourceLine[]; heredocs: HeredocBlock[]; end: number } {
  const lines: SourceLine[] = [];
  let n = startLine;
  for (; n <= raw.length; n++) {
    const text = raw[n - 1] ?? '';
    if (n > startLine && /^\s*#/.test(text)) continue;
    lines.push({ line: n, text });
    if (!/\\\s*$/.test(text)) break;
  }
  let end = Math.min(n, raw.length);
  const heredocs: HeredocBlock[] = [];
  const commandText = lines.map((l) => l.text.replace(/\\\s*$/, '')).join('\n');
  for (const opener of lines) {
    HEREDOC_OPEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = HEREDOC_OPEN.exec(opener.text)) !== null) {
      const name = m[3]!;
      const body: SourceLine[] = [];
      let k = end + 1;
      for (; k <= raw.length; k++) {
        const text = raw[k - 1] ?? '';
        if ((m[1] === '-' ? text.trim() : text.trimEnd()) === name) break;
        body.push({ line: k, text });
      }
      const before = opener.text.slice(0, m.index);
      const command = splitCommands(before).pop()?.text ?? before.trim();
      heredocs.push({ name, line: opener.line, body, command: command || commandText.trim() });
      end = Math.min(k, raw.length);
    }
  }
  return { lines, heredocs, end };
}

export function resolveArgs(text: string, args: ReadonlyMap<string, string | null>): { value: string; missing?: string } {
  let missing: string | undefined;
  const value = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_all, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = args.get(name);
    const has = v !== undefined && v !== null && v !== '';
    if (op === '-') return has ? v! : (arg ?? '');
    if (op === '+') return has ? (arg ?? '') : '';
    if (!has) missing ??= name;
    return v ?? '';
  });
  return { value, missing };
}

export function unquote(value: string): string {
  const v = value.trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1);
  return v;
}

export interface Parsed {
  stages: Stage[];
  globalArgs: Map<string, string | null>;
  all: Instr[];
}

export function parse(content: string): Parsed {
  const raw = content.split(/\r?\n/);
  const df = DockerfileParser.parse(content);
  const all: Instr[] = [];
  let skipThrough = 0;
  for (const node of df.getInstructions()) {
    const line = node.getRange().start.line + 1;
    if (line <= skipThrough) continue; // a line inside a heredoc body
    const keyword = node.getKeyword().toUpperCase();
    const flags = flagsOf(node);
    let lines: SourceLine[] = [{ line, text: raw[line - 1] ?? '' }];
    let heredocs: HeredocBlock[] = [];
    let args = node.getArgumentsContent() ?? '';
    if (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') {
      const read = readCommand(raw, line);
      lines = read.lines;
      heredocs = read.heredocs;
      skipThrough = read.end;
      const joined = lines.map((l) => l.text.replace(/\\\s*$/, '')).join('\n');
      args = execFormText(stripFlags(joined.replace(/^\s*\S+/, '')));
    } else {
      skipThrough = Math.max(skipThrough, node.getRange().end.line + 1);
    }
    all.push({ keyword, line, node, flags, args, lines, heredocs });
  }

  const globalArgs = new Map<string, string | null>();
  const stages: Stage[] = [];
  let current: Stage | undefined;
  for (const instr of all) {
    if (instr.keyword === 'FROM') {
      const words = shellWords(stripFlags(instr.args));
      const rawImage = words[0] ?? '';
      const aliasAt = words.findIndex((w) => w.toLowerCase() === 'as');
      const alias = aliasAt >= 0 ? words[aliasAt + 1]?.toLowerCase() : undefined;
      const resolved = resolveArgs(rawImage, globalArgs);
      const base = stages.find((s) => s.alias !== undefined && s.alias === resolved.value.toLowerCase());
      current = {
        index: stages.length,
        alias,
        line: instr.line,
        image: resolved.value,
        rawImage,
        unresolvedArg: resolved.missing,
        base,
        instrs: [],
      };
      stages.push(current);
    } else if (current) {
      current.instrs.push(instr);
    } else if (instr.keyword === 'ARG') {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(instr.args);
      if (m) globalArgs.set(m[1]!, m[2] === undefined ? null : unquote(m[2]));
    }
  }
  return { stages, globalArgs, all };
}

/** The stage and its FROM-alias ancestors, base first. */
export function chain(stage: Stage): Stage[] {
  const out: Stage[] = [];
  for (let s: Stage | undefined = stage; s; s = s.base) out.unshift(s);
  return out;
}

export function chainInstrs(stage: Stage): Instr[] {
  return chain(stage).flatMap((s) => s.instrs);
}

/** Line of the first source line (command or heredoc body) matching `re`. */
export function lineOf(instr: Instr, re: RegExp): number {
  for (const l of instr.lines) if (re.test(l.text)) return l.line;
  for (const h of instr.heredocs) for (const l of h.body) if (re.test(l.text)) return l.line;
  return instr.line;
}

/** Every simple command of a RUN (command part and executed heredoc bodies), with its line. */
export function commandsOf(instr: Instr): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const offsets: { line: number; start: number }[] = [];
  let text = '';
  for (const l of instr.lines) {
    offsets.push({ line: l.line, start: text.length });
    text += l.text.replace(/\\\s*$/, ' ') + ' ';
  }
  const lineAt = (offset: number) => {
    let line = instr.line;
    for (const o of offsets) if (o.start <= offset) line = o.line;
    return line;
  };
  // Drop the keyword and flags from the first command.
  const head = /^\s*RUN\s+((--[a-zA-Z-]+(=("[^"]*"|'[^']*'|\S*))?\s+)*)/i.exec(text);
  const skip = head ? head[0].length : 0;
  const body = execFormText(text.slice(skip));
  for (const c of splitCommands(body)) out.push({ text: c.text, line: lineAt(c.offset + skip) });
  // A heredoc is run (`RUN <<EOF`, `RUN bash <<EOF`) or only written to a file (`cat > f <<EOF`).
  for (const h of instr.heredocs) {
    if (!isExecutedHeredoc(h)) continue;
    for (const l of h.body) for (const c of splitCommands(l.text)) out.push({ text: c.text, line: l.line });
  }
  return out;
}

export function isExecutedHeredoc(h: HeredocBlock): boolean {
  return /^(RUN(\s+--\S+)*\s*)?((\/usr)?(\/bin\/)?(ba|da)?sh(\s+-\S+)*)?$/i.test(h.command.trim());
}

export interface InstallCommand {
  manager: 'apt' | 'apt-get' | 'apk' | 'yum' | 'dnf' | 'microdnf';
  packages: string[];
  words: string[];
  line: number;
  text: string;
}

export function installCommands(instr: Instr): InstallCommand[] {
  const out: InstallCommand[] = [];
  for (const c of commandsOf(instr)) {
    const words = shellWords(c.text).filter((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w));
    const at = words.findIndex((w) => /^(apt-get|apt|apk|yum|dnf|microdnf)$/.test(w));
    if (at < 0) continue;
    const manager = words[at] as InstallCommand['manager'];
    const verbAt = words.findIndex((w, i) => i > at && (w === 'install' || w === 'add'));
    if (verbAt < 0) continue;
    const packages = words.slice(verbAt + 1).filter((w) => !w.startsWith('-') && !w.includes('$'));
    out.push({ manager, packages: packages.map((p) => p.replace(/[=<>].*$/, '')), words, line: c.line, text: c.text });
  }
  return out;
}

export const PIP_INSTALL = /(?:^|\s|\/)(?:pip[0-9.]*|python[0-9.]*\s+-m\s+pip|uv\s+pip)\s+install\b/;
export const PIP_VALUE_OPTIONS = new Set([
  '-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--extra-index-url',
  '-f', '--find-links', '-t', '--target', '--prefix', '--root', '--trusted-host', '--src', '--platform',
  '--python-version', '--implementation', '--abi', '--only-binary', '--no-binary', '--progress-bar',
  '--cache-dir', '--report', '--log', '--config-settings', '-C', '--global-option', '--upgrade-strategy',
  '--python', '-p', '--index', '--default-index', '--exclude-newer', '--build-constraint', '--override',
]);

export function unpinnedPackages(words: string[]): string[] {
  const at = words.indexOf('install');
  const out: string[] = [];
  for (let i = at + 1; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('-')) {
      if (PIP_VALUE_OPTIONS.has(w)) i++;
      continue;
    }
    if (w.includes('$') || w.startsWith('.') || w.startsWith('/') || /\.(whl|tar\.gz|zip)$/.test(w) || w.includes('://')) continue;
    if (/(===?|~=)\s*\S/.test(w) || /\s@\s|@/.test(w)) continue;
    out.push(w);
  }
  return out;
}

export function envValues(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const instr of chainInstrs(stage)) {
    if (instr.keyword !== 'ENV') continue;
    for (const [k, v] of properties(instr)) env.set(k, v ?? '');
  }
  return env;
}

export function properties(instr: Instr): [string, string | null, number][] {
  const node = instr.node as unknown as { getProperties?: () => { getName(): string; getValue(): string | null; getRange(): { start: { line: number } } }[]; getProperty?: () => { getName(): string; getValue(): string | null; getRange(): { start: { line: number } } } | null };
  const props = node.getProperties?.() ?? (node.getProperty?.() ? [node.getProperty()!] : []);
  return props.map((p) => [p.getName(), p.getValue() === null ? null : unquote(p.getValue()!), p.getRange().start.line + 1]);
}

export function commandFacts(instr: Instr | undefined): CommandFacts | undefined {
  if (!instr) return undefined;
  const text = instr.args.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return { argv: parsed as string[], line: instr.line, exec: true };
    } catch {
      // not JSON: shell form
    }
  }
  return { argv: shellWords(text), line: instr.line, exec: false };
}

/** The CMD and ENTRYPOINT in force at the end of a stage (a later ENTRYPOINT resets an inherited CMD). */
export function commandsIn(stage: Stage): { cmd?: CommandFacts; entrypoint?: CommandFacts } {
  let cmd: Instr | undefined;
  let entrypoint: Instr | undefined;
  for (const instr of chainInstrs(stage)) {
    if (instr.keyword === 'CMD') cmd = instr;
    if (instr.keyword === 'ENTRYPOINT') {
      entrypoint = instr;
      cmd = undefined;
    }
  }
  return { cmd: commandFacts(cmd), entrypoint: commandFacts(entrypoint) };
}

/** Argument values in scope for a stage: global ARG defaults, then the stage's own ARGs. */
export function stageArgs(stage: Stage, globalArgs: ReadonlyMap<string, string | null>): Map<string, string | null> {
  const args = new Map<string, string | null>();
  for (const instr of chainInstrs(stage)) {
    if (instr.keyword !== 'ARG') continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(instr.args);
    if (m) args.set(m[1]!, m[2] === undefined ? (globalArgs.get(m[1]!) ?? null) : unquote(m[2]));
  }
  return args;
}

/** Distributions installed by name (`pip install "${SERVER_PACKAGE}"` with `ARG SERVER_PACKAGE=gunicorn==23.0.0`). */
export function explicitInstalls(stages: Stage[], globalArgs: ReadonlyMap<string, string | null>): Set<string> {
  const out = new Set<string>();
  for (const stage of stages) {
    const args = stageArgs(stage, globalArgs);
    for (const instr of stage.instrs) {
      if (instr.keyword !== 'RUN') continue;
      for (const c of commandsOf(instr)) {
        const words = shellWords(c.text);
        const pip = words.findIndex((w) => /(^|\/)pip[0-9.]*$/.test(w));
        const install = words.indexOf('install', pip + 1);
        if (pip < 0 || install < 0) continue;
        for (let i = install + 1; i < words.length; i++) {
          const w = words[i]!;
          if (w.startsWith('-')) {
            if (PIP_VALUE_OPTIONS.has(w)) i++;
            continue;
          }
          for (const spec of resolveArgs(w, args).value.split(/\s+/)) {
            if (spec === '' || spec.startsWith('.') || spec.startsWith('/') || spec.includes('://')) continue;
            const name = requirementName(spec);
            if (name) out.add(name);
          }
        }
      }
    }
  }
  return out;
}
