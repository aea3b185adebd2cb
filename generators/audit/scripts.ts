/**
 * Shell script checks. ShellCheck (`shellcheck -f json1`, with the optional checks of SH-06) does the quoting analysis when it is
 * installed; otherwise a small quote-aware scanner finds unquoted expansions and `read` without -r.
 * Strict mode, dangerous constructs and prompt validation are always checked here.
 */
import { finding } from './rules.js';
import type { Finding, ShellcheckComment, ShellcheckRunner } from './types.js';
import { shellWords, splitCommands, unquotedExpansions } from './shell.js';
import { worldWritable } from './util.js';

export { unquotedExpansions };

export { SH06_OPTIONAL_CHECKS, systemShellcheck, type SystemShellcheck } from './shellcheck.js';

const QUOTING_CODES = new Set([2086, 2046, 2068, 2048, 2206, 2207, 2128]);

const OPTIONAL_CODES = new Set([2310, 2311, 2312, 2250, 2248, 2249, 2244]);

function fromShellcheck(path: string, comments: ShellcheckComment[]): Finding[] {
  const out: Finding[] = [];
  for (const c of comments) {
    const code = `SC${c.code}`;
    if (c.code === 2148) continue; // missing shebang: reported as SH-01
    if (c.code === 2162) {
      out.push(finding('SH-11', path, c.line, `\`read\` without -r (${code}): ${c.message}`));
      continue;
    }
    if (OPTIONAL_CODES.has(c.code)) {
      out.push(finding('SH-06', path, c.line, `${code} (optional check): ${c.message}`, { fix: `See https://www.shellcheck.net/wiki/${code}` }));
      continue;
    }
    if (QUOTING_CODES.has(c.code)) {
      out.push(finding('SH-05', path, c.line, `unquoted expansion (${code}): ${c.message}`));
      continue;
    }
    const severity = c.level === 'error' || c.level === 'warning' ? 'medium' : 'low';
    out.push(finding('SH-05', path, c.line, `${code} (${c.level}): ${c.message}`, { severity, fix: `See https://www.shellcheck.net/wiki/${code}` }));
  }
  return out;
}

interface ScriptOptions {
  shellcheck: ShellcheckRunner | null;
  mode?: number;
  /** Sourced by another script (a library of functions): no traps or cwd handling of its own. */
  sourced?: boolean;
}

/** Words after `source` / `.` in a script. */
function sourcedNames(content: string): string[] {
  const out: string[] = [];
  for (const l of codeLines(content)) {
    for (const c of splitCommands(l.text)) {
      const words = shellWords(c.text);
      if ((words[0] === 'source' || words[0] === '.') && words[1]) out.push(words[1]);
    }
  }
  return out;
}

/** Paths of the scripts another audited script sources (matched by file name). */
export function sourcedScripts(scripts: { path: string; content: string }[]): Set<string> {
  const names = new Set(scripts.flatMap((s) => sourcedNames(s.content)).map((n) => n.slice(n.lastIndexOf('/') + 1)));
  return new Set(scripts.filter((s) => names.has(s.path.slice(s.path.lastIndexOf('/') + 1))).map((s) => s.path));
}

const SECRET_TARGET = /secret|passw(or)?d|token|api_?key|\.pem\b|\.key\b/i;

/** SH-03, SH-04, SH-07, SH-10: traps, IFS, working directory, secret files. */
function auditRobustness(path: string, content: string, lines: { line: number; text: string }[], strictLine: number, options: ScriptOptions, add: (...args: Parameters<typeof finding>) => void): void {
  const code = lines.filter((l) => l.text.trim() !== '');
  if (!options.sourced) {
    const errTrap = code.find((l) => /^\s*trap\s+.*\sERR\s*$/.test(l.text));
    if (!errTrap) add('SH-03', path, strictLine, 'no `trap ... ERR`: a failure stops the script without saying which line or command failed');
    else if (/^\s*trap\s+"[^"]*\$/.test(errTrap.text)) add('SH-03', path, errTrap.line, 'the ERR trap is double-quoted: its variables are expanded when the trap is set, not when it fires (SC2064)');
  }
  const mktemp = code.find((l) => /\bmktemp\b/.test(l.text));
  if (mktemp && !code.some((l) => /^\s*trap\s+.*\sEXIT\b/.test(l.text))) add('SH-03', path, mktemp.line, '`mktemp` without `trap cleanup EXIT`: the temporary file is left behind whenever the script fails');
  if (!code.some((l) => /^\s*(readonly\s+|declare\s+(-\w+\s+)?)?IFS=\$'\\n\\t'\s*$/.test(l.text))) {
    add('SH-04', path, strictLine, "no `IFS=$'\\n\\t'` after strict mode: unquoted expansions are also split on spaces");
  }
  if (!options.sourced && !/BASH_SOURCE|\$0\b|\$\{0\}/.test(content)) {
    const relative = code.find((l) =>
      splitCommands(l.text).some((c) => {
        const words = shellWords(c.text);
        if ((words[0] === 'source' || words[0] === '.') && words[1] && !/^[/$~]/.test(words[1])) return true;
        if ((words[0] === 'docker' && words[1] === 'compose') || words[0] === 'docker-compose') {
          return !words.some((w) => /^(-f|--file|--project-directory)(=|$)/.test(w));
        }
        return words.slice(1).some((w) => /^\.\.?\//.test(w));
      }),
    );
    if (relative) add('SH-07', path, relative.line, `\`${relative.text.trim().slice(0, 60)}\` depends on the directory the script is run from`);
  }
  const writesSecret = code.find((l) => /(^|[^0-9&<])>>?\s*("?[^\s&|;]+)/.test(l.text) && SECRET_TARGET.test(/(?:^|[^0-9&<])>>?\s*("?[^\s&|;]+)/.exec(l.text)?.[1] ?? '') || /\btee\s+(-a\s+)?\S*(secret|passw)/i.test(l.text));
  if (writesSecret) {
    const umask = code.find((l) => /\bumask\s+0?077\b/.test(l.text));
    if (!umask || umask.line > writesSecret.line) add('SH-10', path, writesSecret.line, 'writes secret material without `umask 077` first: the file is created readable by other users');
    const weak = code.find((l) => /\$\{?RANDOM\b|\bdate\s+\+%s/.test(l.text));
    if (weak) add('SH-10', path, weak.line, '`$RANDOM` / the date is guessable: generate secrets from /dev/urandom or `openssl rand`');
    const trace = code.find((l) => /^\s*set\s+(-[a-zA-Z]*x|-o\s+xtrace)/.test(l.text));
    if (trace) add('SH-10', path, trace.line, '`set -x` in a script that handles secrets prints them to the terminal and CI logs');
  }
}

/** Lines with comments removed (approximate: a `#` at a word start outside quotes). */
function codeLines(content: string): { line: number; text: string }[] {
  return content.split(/\r?\n/).map((raw, i) => {
    let quote: string | undefined;
    for (let j = 0; j < raw.length; j++) {
      const ch = raw[j]!;
      if (quote) {
        if (ch === quote) quote = undefined;
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '#' && (j === 0 || /\s/.test(raw[j - 1]!)) && !(i === 0 && raw.startsWith('#!'))) return { line: i + 1, text: raw.slice(0, j) };
    }
    return { line: i + 1, text: i === 0 && raw.startsWith('#!') ? '' : raw };
  });
}

export function auditScript(path: string, content: string, options: ScriptOptions): { findings: Finding[]; usedShellcheck: boolean } {
  const findings: Finding[] = [];
  const add = (...args: Parameters<typeof finding>) => findings.push(finding(...args));
  const lines = codeLines(content);
  const first = content.split(/\r?\n/, 1)[0] ?? '';

  // SH-01: shebang and mode.
  if (!first.startsWith('#!')) add('SH-01', path, 1, 'no shebang: the shell that runs this script is whoever calls it');
  else if (!/^#!\s*(\/usr\/bin\/env\s+bash|\/bin\/bash|\/usr\/bin\/bash)\s*$/.test(first)) add('SH-01', path, 1, `shebang \`${first}\` is not bash, so bash strict mode and arrays are not available`);
  if (options.mode !== undefined && (options.mode & 0o111) === 0) add('SH-01', path, 0, `mode ${(options.mode & 0o777).toString(8)} is not executable`);

  // SH-02: strict mode before other commands.
  const setLines = lines.filter((l) => /^\s*set\s+[-+]/.test(l.text));
  const strict = setLines.find((l) => strictFlags(l.text).missing.length === 0);
  if (!strict) {
    const partial = setLines[0];
    if (partial) add('SH-02', path, partial.line, `\`${partial.text.trim()}\` lacks ${strictFlags(partial.text).missing.join(', ')}`);
    else add('SH-02', path, 1, 'no `set -euo pipefail`: errors, unset variables and failed pipelines are ignored');
  } else {
    const firstCommand = lines.find((l) => l.text.trim() !== '');
    if (firstCommand && firstCommand.line < strict.line && !/^\s*(set|IFS=|readonly|[A-Za-z_]+\(\)|function\s)/.test(firstCommand.text)) {
      add('SH-02', path, strict.line, `strict mode is only set on line ${strict.line}, after commands that already ran without it`, { severity: 'medium' });
    }
  }

  auditRobustness(path, content, lines, strict?.line ?? setLines[0]?.line ?? 1, options, add);

  // SH-05 / SH-11 (read -r): ShellCheck when available, else the built-in scanner.
  let usedShellcheck = false;
  const comments = options.shellcheck ? options.shellcheck(content, path) : null;
  if (comments) {
    usedShellcheck = true;
    findings.push(...fromShellcheck(path, comments));
  } else {
    const seen = new Set<number>();
    for (const e of unquotedExpansions(content)) {
      if (seen.has(e.line)) continue;
      seen.add(e.line);
      add('SH-05', path, e.line, `unquoted expansion \`${e.text}\` is split and glob-expanded (SC2086)`);
    }
  }

  // Command-level checks.
  const reads: { line: number; variable: string; prompt: boolean }[] = [];
  for (const l of lines) {
    for (const c of splitCommands(l.text)) {
      const words = shellWords(c.text.replace(/^(if|while|until|then|do|else|!)\s+/, '').replace(/^!\s+/, ''));
      const cmd = words[0] ?? '';
      if (cmd === 'read') {
        const flags = words.filter((w) => /^-[a-zA-Z]+$/.test(w));
        const hasR = flags.some((f) => f.includes('r'));
        if (!hasR && !comments) add('SH-11', path, l.line, '`read` without -r mangles backslashes (SC2162)');
        const names = words.slice(1).filter((w, i, all) => !w.startsWith('-') && !/^-[a-zA-Z]*[pdtnNaiu]$/.test(all[i] ?? '') && !/^-[a-zA-Z]*[pdtnNaiu]$/.test(all[i - 1] ?? '') && /^[A-Za-z_][A-Za-z0-9_]*$/.test(w));
        reads.push({ line: l.line, variable: names[names.length - 1] ?? 'REPLY', prompt: flags.some((f) => f.includes('p')) });
      }
      if (cmd === 'chmod') {
        const mode = words.slice(1).find((w) => !/^-[a-zA-Z]+$/.test(w) && !w.startsWith('--')) ?? '';
        if (worldWritable(mode)) add('SH-09', path, l.line, `\`${c.text.slice(0, 80)}\` makes files world-writable`);
      }
      if (cmd === 'eval') add('SH-09', path, l.line, '`eval` runs data as code');
      if (cmd === 'sudo') add('SH-09', path, l.line, '`sudo` in a script: run the script with the rights it needs instead');
      if (cmd === 'docker-compose') add('SH-08', path, l.line, 'legacy `docker-compose` (v1): use `docker compose`');
      if (cmd === 'which') add('SH-08', path, l.line, '`which` is not portable: use `command -v` (SC2230)');
      if (cmd === 'rm' && words.some((w) => /^-[a-zA-Z]*r/.test(w))) {
        const unguarded = /\s"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?(\/|"|\s|$)/.exec(` ${c.text} `);
        if (unguarded && !/\$\{[A-Za-z_][A-Za-z0-9_]*:\?/.test(c.text)) add('SH-09', path, l.line, `\`${c.text.slice(0, 60)}\`: if \$${unguarded[1]} is empty this deletes from / (use \`"\${${unguarded[1]}:?}"\`, SC2115)`);
      }
      if (cmd === 'docker' || cmd === 'podman') {
        const sub = words.slice(1).filter((w) => !w.startsWith('-'));
        const isExec = sub[0] === 'exec' || (sub[0] === 'compose' && sub.includes('exec'));
        const isRun = sub[0] === 'run' || (sub[0] === 'compose' && sub.includes('run'));
        if ((isExec || isRun) && words.includes('--privileged')) add('SH-09', path, l.line, `\`docker ${sub[0]} --privileged\` (CIS 5.23)`);
        if (isExec || isRun) {
          const userAt = words.findIndex((w) => w === '-u' || w === '--user' || /^--user=/.test(w));
          const user = userAt < 0 ? undefined : words[userAt]!.startsWith('--user=') ? words[userAt]!.slice(7) : words[userAt + 1];
          if (user !== undefined && /^(root|0)(:.*)?$/.test(user)) add('SH-09', path, l.line, `\`${c.text.slice(0, 60)}\` runs as root in the container (CIS 5.24)`);
        }
      }
      if (words.includes('--break-system-packages')) add('PI-01', path, l.line, '`pip install --break-system-packages` installs over the distribution\'s Python (PEP 668)');
    }
    if (/\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/.test(l.text)) add('SH-09', path, l.line, 'pipes a download straight into a shell (`curl | sh`)');
  }

  // SH-11: a prompt whose answer is never validated.
  for (const r of reads) {
    if (!r.prompt) continue;
    const after = lines.filter((l) => l.line >= r.line).map((l) => l.text).join('\n');
    const v = r.variable;
    const ref = `"?\\$\\{?${v}\\b[^}]*\\}?"?`;
    const validated = new RegExp(`case\\s+${ref}\\s+in|\\[\\[[^\\]]*${ref}\\s*(==?|!=|=~)|\\[\\s+${ref}\\s*(=|!=)|test\\s+${ref}`).test(after);
    if (!validated) add('SH-11', path, r.line, `the answer in \`${v}\` is never checked against an explicit yes/no before going on`);
  }

  return { findings, usedShellcheck };
}

function strictFlags(text: string): { missing: string[] } {
  const words = text.trim().split(/\s+/).slice(1);
  const flags = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-o' || w === '+o') {
      const opt = words[i + 1];
      if (w === '-o' && opt) flags.add(opt);
      i++;
    } else if (/^-[a-zA-Z]+$/.test(w)) {
      for (const ch of w.slice(1)) {
        if (ch === 'o') {
          const opt = words[i + 1];
          if (opt) flags.add(opt);
          i++;
        } else flags.add(ch);
      }
    }
  }
  const missing: string[] = [];
  if (!flags.has('e') && !flags.has('errexit')) missing.push('-e');
  if (!flags.has('u') && !flags.has('nounset')) missing.push('-u');
  if (!flags.has('pipefail')) missing.push('-o pipefail');
  return { missing };
}
