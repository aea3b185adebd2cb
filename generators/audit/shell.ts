/**
 * The audit's one shell lexer: words, simple commands and pipes of a command line, and the
 * unquoted expansions of a whole script (SH checks and --fix). All of it skips quotes and escapes
 * with the same scanner (`scanUnquoted`).
 */
import { lineIndex } from './util.js';

/** Split shell text into words (quotes removed); operators stay as separate words. Never throws. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (quote === '"' && ch === '\\' && i + 1 < text.length) current += text[++i];
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** A simple command inside shell text, with its offset in that text. */
export interface SimpleCommand {
  text: string;
  offset: number;
}

/**
 * Visits every character of shell text that is outside quotes and not escaped by a backslash.
 * `visit` returns how many following characters to skip (0 for none), or 'stop' to end the scan;
 * the result says whether the scan was stopped.
 */
export function scanUnquoted(text: string, visit: (ch: string, i: number) => number | 'stop', from = 0): boolean {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (quote === '"' && ch === '\\') i++;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '\\') i++;
    else {
      const skip = visit(ch, i);
      if (skip === 'stop') return true;
      i += skip;
    }
  }
  return false;
}

/** Split shell text on unquoted `&&`, `||`, `;`, `|`, `&`, newlines and parentheses. */
export function splitCommands(text: string): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  let start = 0;
  const push = (end: number, next: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    if (raw.trim() !== '') out.push({ text: raw.trim(), offset: start + lead });
    start = next;
  };
  scanUnquoted(text, (ch, i) => {
    if ((ch === '&' || ch === '|') && text[i + 1] === ch) {
      push(i, i + 2);
      return 1;
    }
    if (ch === ';' || ch === '|' || ch === '&' || ch === '\n' || ch === '(' || ch === ')') {
      if (ch === '&' && (text[i - 1] === '>' || text[i + 1] === '>')) return 0; // 2>&1, &>
      push(i, i + 1);
    }
    return 0;
  });
  push(text.length, text.length);
  return out;
}

/** Does the text contain an unquoted single `|` (a pipe, not `||`)? */
export function hasUnquotedPipe(text: string): boolean {
  return scanUnquoted(text, (ch, i) => {
    if (ch !== '|') return 0;
    if (text[i + 1] === '|') return 1;
    if (text[i - 1] === '>') return 0; // >| clobber
    return 'stop';
  });
}

export interface Expansion {
  text: string;
  line: number;
  /** Offset of the `$` in the script. */
  offset: number;
}

/** The end of a balanced `open`...`close` group starting at `from` (quotes and escapes skipped). */
function skipBalanced(content: string, from: number, open: string, close: string): number {
  let depth = 0;
  let end = content.length - 1;
  scanUnquoted(
    content,
    (ch, j) => {
      if (ch === open) depth++;
      else if (ch === close && --depth === 0) {
        end = j;
        return 'stop';
      }
      return 0;
    },
    from,
  );
  return end;
}

/** Where the expansion lexer is: at the top level, inside "...", or inside $( ... ). */
interface Frame {
  kind: 'top' | 'dq' | 'sub';
  depth: number;
  /** Inside [[ ]], after `case`, in an assignment: expansions there are not word-split. */
  dbl: number;
  afterCase: boolean;
  assign: boolean;
  wordStart: boolean;
}

const frame = (kind: Frame['kind'], depth = 0, wordStart = true): Frame => ({ kind, depth, dbl: 0, afterCase: false, assign: false, wordStart });

interface Lexer {
  content: string;
  n: number;
  i: number;
  stack: Frame[];
  pendingHeredocs: { name: string; strip: boolean }[];
  out: Expansion[];
  lineOf: (offset: number) => number;
}

const HEREDOC = /^<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/;

/** Inside double quotes: only $( ) opens a frame; ${ } and ` ` are skipped. */
function stepQuoted(lx: Lexer): void {
  const { content } = lx;
  const ch = content[lx.i]!;
  if (ch === '\\') lx.i += 2;
  else if (ch === '"') {
    lx.stack.pop();
    lx.i++;
  } else if (ch === '$' && content[lx.i + 1] === '(' && content[lx.i + 2] !== '(') {
    lx.stack.push(frame('sub', 1));
    lx.i += 2;
  } else if (ch === '$' && content[lx.i + 1] === '{') lx.i = skipBalanced(content, lx.i + 1, '{', '}') + 1;
  else if (ch === '`') lx.i = content.indexOf('`', lx.i + 1) + 1 || lx.n;
  else lx.i++;
}

/** A newline ends the command; at the top level, the bodies of heredocs opened on the line are skipped. */
function stepNewline(lx: Lexer, f: Frame): void {
  f.afterCase = false;
  f.assign = false;
  f.wordStart = true;
  lx.i++;
  if (lx.pendingHeredocs.length === 0 || f.kind !== 'top') return;
  for (const h of lx.pendingHeredocs.splice(0)) {
    while (lx.i < lx.n) {
      const end = lx.content.indexOf('\n', lx.i);
      const lineText = lx.content.slice(lx.i, end < 0 ? lx.n : end);
      lx.i = end < 0 ? lx.n : end + 1;
      if ((h.strip ? lineText.replace(/^\t+/, '') : lineText).trimEnd() === h.name) break;
    }
  }
}

/** The first word of a command: [[ ]], case/in, assignments and heredoc openers change the rules. */
function readWord(lx: Lexer, f: Frame): void {
  const rest = lx.content.slice(lx.i, lx.i + 200);
  const word = /^[^\s;&|()<>]*/.exec(rest)![0];
  if (word === '[[') f.dbl++;
  else if (word === ']]') f.dbl = Math.max(0, f.dbl - 1);
  if (word === 'case') f.afterCase = true;
  else if (word === 'in') f.afterCase = false;
  if (/^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(word)) f.assign = true;
  const heredoc = HEREDOC.exec(rest);
  if (heredoc && !rest.startsWith('<<<')) lx.pendingHeredocs.push({ name: heredoc[3]!, strip: heredoc[1] === '-' });
  f.wordStart = false;
}

/** A `$` outside quotes: $(( )), $( ), ${ } or $name; reported unless the context does not split words. */
function stepDollar(lx: Lexer, f: Frame): void {
  const { content, i } = lx;
  const next = content[i + 1] ?? '';
  const safe = f.assign || f.dbl > 0 || f.afterCase;
  if (next === '(' && content[i + 2] === '(') {
    lx.i = skipBalanced(content, i + 1, '(', ')') + 1;
  } else if (next === '(') {
    if (!safe) lx.out.push({ text: '$(…)', line: lx.lineOf(i), offset: i });
    lx.stack.push(frame('sub', 1));
    lx.i += 2;
  } else if (next === '{') {
    const end = skipBalanced(content, i + 1, '{', '}');
    const body = content.slice(i + 2, end);
    if (!safe && !body.startsWith('#') && !/^[?#$!]$/.test(body)) lx.out.push({ text: content.slice(i, end + 1), line: lx.lineOf(i), offset: i });
    lx.i = end + 1;
  } else {
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9@*])/.exec(content.slice(i + 1));
    if (m && !safe) lx.out.push({ text: `$${m[1]}`, line: lx.lineOf(i), offset: i });
    lx.i += m ? 1 + m[1]!.length : 1;
  }
}

/** Outside double quotes: separators, comments, quotes, groups, heredoc openers and expansions. */
function stepUnquoted(lx: Lexer, f: Frame): void {
  const { content } = lx;
  const ch = content[lx.i]!;
  if (ch === '\n') return stepNewline(lx, f);
  if (ch === ' ' || ch === '\t' || ch === ';' || ch === '&' || ch === '|') {
    f.wordStart = true;
    f.assign = false;
    if (ch !== ' ' && ch !== '\t') f.afterCase = false;
    lx.i++;
    return;
  }
  if (ch === '#' && f.wordStart) {
    const end = content.indexOf('\n', lx.i);
    lx.i = end < 0 ? lx.n : end;
    return;
  }
  if (f.wordStart) readWord(lx, f);
  if (ch === '<' && content[lx.i + 1] === '<' && content[lx.i + 2] !== '<') {
    const heredoc = HEREDOC.exec(content.slice(lx.i, lx.i + 200));
    if (heredoc && !lx.pendingHeredocs.some((h) => h.name === heredoc[3])) lx.pendingHeredocs.push({ name: heredoc[3]!, strip: heredoc[1] === '-' });
    lx.i += heredoc ? heredoc[0].length : 2;
  } else if (ch === '\\') lx.i += 2;
  else if (ch === "'" || ch === '`') {
    const end = content.indexOf(ch, lx.i + 1);
    lx.i = end < 0 ? lx.n : end + 1;
  } else if (ch === '"') {
    lx.stack.push(frame('dq', 0, false));
    lx.i++;
  } else if (ch === '(' && content[lx.i + 1] === '(') lx.i = skipBalanced(content, lx.i, '(', ')') + 1; // (( arithmetic ))
  else if (f.kind === 'sub' && (ch === '(' || ch === ')')) {
    f.depth += ch === '(' ? 1 : -1;
    lx.i++;
    if (f.depth === 0) lx.stack.pop();
  } else if (ch === '$') stepDollar(lx, f);
  else lx.i++;
}

/**
 * Unquoted `$var`, `${var}`, `$(cmd)` in argument position (SC2086/SC2046/SC2068), skipping
 * assignments, `[[ ]]`, `case WORD in`, arithmetic, single quotes and heredoc bodies.
 */
export function unquotedExpansions(content: string): Expansion[] {
  const lx: Lexer = { content, n: content.length, i: 0, stack: [frame('top')], pendingHeredocs: [], out: [], lineOf: lineIndex(content) };
  while (lx.i < lx.n) {
    const f = lx.stack[lx.stack.length - 1]!;
    if (f.kind === 'dq') stepQuoted(lx);
    else stepUnquoted(lx, f);
  }
  return lx.out;
}
