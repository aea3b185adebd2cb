/**
 * The placeholder vocabulary of `--env` values, written once: `{db.url}`, `{redis.password}`,
 * `{secret.NAME}`. Parsing (answers/settings.ts), the --help text, error messages and resolution
 * (generators/stack/env.ts) all read this table. A family names a service the stack runs; which
 * module provides it (Postgres, MariaDB, Redis) is the stack's business: a module that serves a
 * family gives its endpoint, and every key here is derived from that endpoint.
 */
import type { Answers } from './types.js';

/** `{db.url}`, `{secret.api_key}`: a family and a key. */
export const PLACEHOLDER_RE = /\{([a-z]+)\.([A-Za-z0-9_]+)\}/g;
/** What `{secret.NAME}` accepts as NAME: it names the file secrets/NAME. */
export const SECRET_NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;

/** What a key of a service family means once resolved against the service's endpoint. */
export type EndpointKey = 'host' | 'port' | 'user' | 'password' | 'name' | 'url';

export interface PlaceholderKey {
  /** The key as written: `{db.<key>}`. */
  key: string;
  /** The endpoint field it stands for. */
  means: EndpointKey;
  /** It carries the service's password: a secret filled at container start, never written anywhere. */
  secret: boolean;
}

export interface ServiceFamily {
  family: 'db' | 'redis';
  /** The service, as messages name it. */
  service: string;
  keys: readonly PlaceholderKey[];
  /** Whether the answers run a service of this family. */
  active: (a: Pick<Answers, 'database' | 'redis'>) => boolean;
  /** The fix a message offers when the family is used without its service. */
  enable: string;
}

function key(name: string, means: EndpointKey = name as EndpointKey): PlaceholderKey {
  return { key: name, means, secret: means === 'password' || means === 'url' };
}

/** The service families, in the order help and messages list them. */
export const SERVICE_FAMILIES: readonly ServiceFamily[] = [
  {
    family: 'db',
    service: 'the Postgres service',
    keys: [key('host'), key('port'), key('user'), key('password'), key('name'), key('url')],
    active: (a) => a.database !== 'none',
    enable: 'add --postgres',
  },
  {
    family: 'redis',
    service: 'the Redis service',
    // {redis.db} is the database number in the URL's path (Redis has no user in this stack).
    keys: [key('host'), key('port'), key('password'), key('db', 'name'), key('url')],
    active: (a) => a.redis === true,
    enable: 'add --redis',
  },
];

/** `{secret.NAME}`: a generated file secret (secrets/NAME), filled in at start. */
export const SECRET_FAMILY = { family: 'secret', example: '{secret.NAME}', rule: 'NAME: lowercase letters, digits, _' } as const;

export type Placeholder =
  | { kind: 'service'; family: ServiceFamily; key: PlaceholderKey; text: string }
  | { kind: 'secret'; name: string; text: string };

/** Every placeholder a user may write, as help lists them: {db.url} {db.host} ... {secret.NAME}. */
export function placeholderList(): string[] {
  return [...SERVICE_FAMILIES.flatMap((f) => f.keys.map((k) => `{${f.family}.${k.key}}`)), SECRET_FAMILY.example];
}

/** "use {db.url}, ..., or {secret.NAME} (NAME: ...)": the fix for an unknown placeholder. */
export function placeholderUsage(): string {
  const list = placeholderList();
  return `use ${list.slice(0, -1).join(', ')} or ${list[list.length - 1]} (${SECRET_FAMILY.rule})`;
}

/** The placeholder `{family.key}` names, or undefined when it is not in the vocabulary. */
export function lookupPlaceholder(family: string, name: string): Placeholder | undefined {
  const text = `{${family}.${name}}`;
  if (family === SECRET_FAMILY.family) return SECRET_NAME_RE.test(name) ? { kind: 'secret', name, text } : undefined;
  const found = SERVICE_FAMILIES.find((f) => f.family === family);
  const k = found?.keys.find((x) => x.key === name);
  return found && k ? { kind: 'service', family: found, key: k, text } : undefined;
}

/** Whether the placeholder carries a secret (so a credential-named variable may hold it). */
export function holdsSecret(p: Placeholder): boolean {
  return p.kind === 'secret' || p.key.secret;
}

export interface ValuePart {
  /** Literal text between placeholders. */
  text?: string;
  placeholder?: Placeholder;
  /** Where the placeholder sits between "scheme://" and the "@" after it: a URL's user-info. */
  inUrlUserInfo?: boolean;
}

/**
 * A value split into literal text and placeholders, each already looked up. Throws the message
 * (without the field) for a placeholder not in the vocabulary, so callers can name their field.
 */
export function splitValue(raw: string): ValuePart[] {
  const scheme = raw.indexOf('://');
  const at = scheme >= 0 ? raw.indexOf('@', scheme + 3) : -1;
  const parts: ValuePart[] = [];
  let last = 0;
  for (const match of raw.matchAll(PLACEHOLDER_RE)) {
    const [whole, family, name] = match as unknown as [string, string, string];
    const index = match.index ?? 0;
    const placeholder = lookupPlaceholder(family, name);
    if (!placeholder) throw new Error(`unknown placeholder ${whole}; ${placeholderUsage()}`);
    if (index > last) parts.push({ text: raw.slice(last, index) });
    parts.push({ placeholder, inUrlUserInfo: at > scheme && scheme >= 0 && index > scheme && index < at });
    last = index + whole.length;
  }
  if (last < raw.length) parts.push({ text: raw.slice(last) });
  return parts;
}
