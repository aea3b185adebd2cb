/**
 * Splits a command line the way a POSIX shell splits words (single quotes, double quotes,
 * backslashes), for JSON exec-form commands. Shell operators are refused instead of silently
 * becoming arguments: exec form runs no shell, so `a && b` would never do what was meant.
 */
const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')', '`']);

export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else current += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) current += line[++i];
      else if (ch === '$' || ch === '`') throw new Error(`"${ch}" expansion is not supported inside a command`);
      else current += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new Error('ends with a lone backslash');
      current += line[++i];
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (OPERATORS.has(ch)) {
      throw new Error(`shell operator "${ch}" is not supported: the command runs without a shell`);
    } else if (ch === '$') {
      throw new Error('"$" expansion is not supported: the command runs without a shell');
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`has an unclosed ${quote} quote`);
  if (inWord) words.push(current);
  if (words.length === 0) throw new Error('is empty');
  return words;
}
