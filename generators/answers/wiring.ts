/**
 * Which of the variables an app reads get a value by default: only those whose meaning is plain
 * (a database URL, a secret key, a broker URL). Everything else is shown to the user and left to
 * `--env`, so nothing is guessed.
 */
import type { Answers } from './types.js';
import { djangoWiring, type DjangoFacts } from './django.js';

/** One variable the code reads (the scanner's finding). */
export interface EnvRead {
  name: string;
  file: string;
  line: number;
  how: string;
  /** The app fails at start without it. */
  required: boolean;
  default?: string;
}

export interface WiringFacts {
  envReads?: EnvRead[];
  /** Flask `from_prefixed_env` prefixes: FLASK_SECRET_KEY reaches config["SECRET_KEY"]. */
  prefixedEnv?: string[];
  /** Driver-qualified schemes the code spells out (e.g. postgresql+asyncpg). */
  driverSchemes?: string[];
  /** Django: how the settings read ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS and DEBUG. */
  django?: DjangoFacts;
}

/** What the stack itself gives app, worker and migrate when there is a database (the password as a file). */
export const POSTGRES_ENV = ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD_FILE'];

/** The variables the stack sets without --env. */
export function stackEnv(a: Partial<Answers>): string[] {
  return [...(a.postgres ? POSTGRES_ENV : []), 'WEB_CONCURRENCY'];
}

const DB_URL_NAMES = ['DATABASE_URL', 'SQLALCHEMY_DATABASE_URI'];
const SECRET_KEY_NAMES = ['SECRET_KEY'];
const REDIS_URL_NAMES = ['REDIS_URL', 'CELERY_BROKER_URL', 'CELERY_RESULT_BACKEND', 'BROKER_URL', 'RQ_REDIS_URL'];

/** The plain `postgresql://` URL, or the driver-qualified scheme where the code asks for one. */
export function dbUrlTemplate(driverSchemes: string[] = []): string {
  const scheme = driverSchemes.find((s) => /^postgres(?:ql)?\+/.test(s)) ?? 'postgresql';
  return scheme === 'postgresql' ? '{db.url}' : `${scheme}://{db.user}:{db.password}@{db.host}:{db.port}/{db.name}`;
}

/** What a variable is wired to by default, or undefined when its meaning is not plain. */
export function defaultWiring(name: string, a: Partial<Answers>, facts: WiringFacts): string | undefined {
  const bare = (facts.prefixedEnv ?? []).reduce((n, prefix) => (n.startsWith(`${prefix}_`) ? n.slice(prefix.length + 1) : n), name);
  if (a.framework === 'django') {
    const django = djangoWiring(name, a, facts.django);
    if (django !== undefined) return django;
  }
  if (DB_URL_NAMES.includes(bare)) return a.postgres || (a.database ?? 'none') !== 'none' ? dbUrlTemplate(facts.driverSchemes) : undefined;
  if (SECRET_KEY_NAMES.includes(bare) || name === 'DJANGO_SECRET_KEY') return '{secret.secret_key}';
  if (REDIS_URL_NAMES.includes(bare)) return a.redis ? '{redis.url}' : undefined;
  return undefined;
}

/** NAME=VALUE for each detected variable with a plain meaning (and Flask's prefixed spellings). */
export function wireDetected(a: Partial<Answers>, facts: WiringFacts): string[] {
  const names = new Set((facts.envReads ?? []).map((r) => r.name));
  for (const prefix of facts.prefixedEnv ?? []) {
    // The app reads every PREFIX_* variable: offer the plain ones its config would want.
    for (const key of ['SECRET_KEY', 'SQLALCHEMY_DATABASE_URI']) names.add(`${prefix}_${key}`);
  }
  const out: string[] = [];
  for (const name of names) {
    const value = defaultWiring(name, a, facts);
    if (value !== undefined) out.push(`${name}=${value}`);
  }
  return out;
}

/** The list setting a variable is handed to as raw text (django-environ without a cast), if any. */
function raw(name: string, facts: WiringFacts): string | undefined {
  return facts.django?.settingsEnv.find((s) => s.name === name)?.raw?.setting;
}

/**
 * What generation says about the settings: each variable the code reads, whether the stack sets it
 * (and to what), or that it is left to the user and where to set it; plus what the user added.
 */
export function describeSettings(a: Pick<Answers, 'env' | 'postgres'>, facts: WiringFacts): string[] {
  const given = new Map(a.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  for (const name of stackEnv(a)) if (!given.has(name)) given.set(name, '(set by the stack)');
  const lines: string[] = [];
  const reads = facts.envReads ?? [];
  for (const read of reads) {
    const value = given.get(read.name);
    const where = `${read.file}:${read.line}`;
    if (value !== undefined) lines.push(`${read.name} = ${value === '' ? '"" (empty: the settings use the text itself, and only empty text is false)' : value}  (read in ${where})`);
    else if (raw(read.name, facts)) lines.push(`${read.name} left unset: read in ${where} as text that ${raw(read.name, facts)} cannot take (a list is needed); change the settings to set it`);
    else lines.push(`${read.name} left for you${read.required ? '' : ' (optional)'}: read in ${where}; set it with --env ${read.name}=VALUE or in docker-compose.yml under environment`);
  }
  for (const [name, value] of given) if (!reads.some((r) => r.name === name) && a.env.some((e) => e.startsWith(`${name}=`))) lines.push(`${name} = ${value}`);
  return lines;
}
