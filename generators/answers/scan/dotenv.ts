/** The project's own .env and .flaskenv, read with dotenv's parser, and what in them would hurt in a container. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

export interface DotenvFile {
  /** '.env' or '.flaskenv' */
  file: string;
  values: Record<string, string>;
  /** True when the root .gitignore names it: .env, /.env, .env*, *.env, or the same under any folder. */
  gitignored: boolean;
  /** One line per problem; they name keys, never secret values. */
  warnings: string[];
}

const SECRET_KEY_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|KEY/i;
const PLACEHOLDER = /^(|changeme|change[-_ ]?me.*|replace[-_ ]?me.*|your[-_ ].*|x+|\*+|<.*>|\{\{.*\}\}|\$\{.*\}|todo|dummy|example|placeholder|none|null|dev)$/i;
/** user:password@ in a URL, with a password that is not a placeholder. */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]+)@/i;
const LOOPBACK = /(^|[^\w.-])(localhost|127\.0\.0\.1|\[::1\])([^\w.-]|$)/i;

function gitignores(projectDir: string, file: string): boolean {
  const gitignore = join(projectDir, '.gitignore');
  if (!existsSync(gitignore)) return false;
  const patterns = readFileSync(gitignore, 'utf8').split(/\r?\n/).map((line) => line.trim());
  const covering = [file, `/${file}`, `${file}*`, `/${file}*`, `*${file}`, `**/${file}`];
  return patterns.some((pattern) => covering.includes(pattern));
}

export function readProjectDotenv(projectDir: string): DotenvFile[] {
  const out: DotenvFile[] = [];
  for (const file of ['.env', '.flaskenv']) {
    const path = join(projectDir, file);
    if (!existsSync(path)) continue;
    const values = parse(readFileSync(path));
    const gitignored = gitignores(projectDir, file);
    const secrets = Object.entries(values)
      .filter(([key, value]) => (SECRET_KEY_NAME.test(key) && !PLACEHOLDER.test(value.trim())) || (URL_PASSWORD.test(value) && !PLACEHOLDER.test(URL_PASSWORD.exec(value)![1]!)))
      .map(([key]) => key);
    const loopback = Object.entries(values)
      .filter(([, value]) => LOOPBACK.test(value))
      .map(([key]) => key);
    const warnings: string[] = [];
    if (secrets.length > 0 && !gitignored) {
      warnings.push(`${file} is not in .gitignore and holds secrets (${secrets.join(', ')}): keep it out of git and out of the image, and move the values to a secret store`);
    }
    if (loopback.length > 0) {
      warnings.push(`${file} points ${loopback.join(', ')} at localhost: inside a container that is the container itself; use the service name (e.g. db, redis)`);
    }
    out.push({ file, values, gitignored, warnings });
  }
  return out;
}
