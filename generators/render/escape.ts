/**
 * Quoting for each target language. Handlebars' HTML escaping is wrong for all of them, so our
 * templates run with escaping off and call these explicitly.
 */

/** POSIX shell single-quoting: safe for any string, including quotes and `$`. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A JSON array of strings: Dockerfile exec form (CMD, HEALTHCHECK CMD). */
export function execForm(argv: string[]): string {
  return `[${argv.map((a) => JSON.stringify(a)).join(', ')}]`;
}

/** A Python string literal (ASCII-safe via JSON escapes, which Python shares for these). */
export function pythonString(value: string): string {
  return JSON.stringify(value);
}

/** A value for a .env file (Compose's env-file format): bare when safe, else single-quoted. */
export function envValue(value: string): string {
  if (/^[A-Za-z0-9_./:@%+,-]*$/.test(value)) return value;
  if (value.includes("'")) throw new Error(`cannot write ${JSON.stringify(value)} into a .env file`);
  return `'${value}'`;
}
