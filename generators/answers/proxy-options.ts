/**
 * The front door's rows of the one option table (issue 22): --proxy, --domain (repeatable) and
 * --acme-email. Kept beside schema.ts so that file stays one screenful per option group.
 */
import { domainProblem } from './proxy-facts.js';
import { AnswerError } from './errors.js';
import { asString, describe, parseChoice, type Choice } from './parse.js';
import type { Answers, Proxy, StaticFiles } from './types.js';
import type { ProjectFacts } from './validate.js';
import type { OptionSpec } from './option-spec.js';

export const PROXIES: Choice[] = [
  { value: 'none', name: 'None', hint: 'the app publishes its own port on 127.0.0.1' },
  { value: 'caddy', name: 'Caddy', hint: 'HTTPS front door: automatic certificates, HTTP->HTTPS, security headers' },
];

export const STATIC_FILES: Choice[] = [
  { value: 'proxy', name: 'The proxy', hint: 'Caddy serves STATIC_URL from a read-only volume the app image fills' },
  { value: 'app', name: 'The app', hint: 'the app serves them itself (WhiteNoise)' },
];

/** The proxy serves the static files when there are collected ones and the settings do not hand them to WhiteNoise. */
export function staticFilesDefault(a: Partial<Answers>, facts: ProjectFacts): StaticFiles {
  const collected = a.proxy === 'caddy' && a.framework === 'django' && a.collectStatic === true;
  return collected && !facts.django?.whitenoiseMiddleware ? 'proxy' : 'app';
}

const EMAIL_RE = /^[^\s@"<>()\\,;:]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;

/** --domain values: each a hostname or an IP, lower-cased, no duplicates. */
export function parseDomains(raw: unknown): string[] {
  const items = raw === undefined || raw === null || raw === false ? [] : Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const item of items) {
    for (const part of asString('domain', item).split(',').map((d) => d.trim()).filter(Boolean)) {
      const problem = domainProblem(part);
      if (problem) throw new AnswerError('domain', `${describe(part)} ${problem} (e.g. --domain shop.example.com)`);
      const d = part.toLowerCase().replace(/\.$/, '');
      if (!out.includes(d)) out.push(d);
    }
  }
  return out;
}

export const PROXY_OPTIONS: OptionSpec[] = [
  {
    key: 'proxy',
    flag: 'proxy',
    kind: 'choice',
    question: 'Put an HTTPS reverse proxy in front of the app?',
    hint: 'caddy: the only published service (80, 443, 443/udp), certificates from Let\'s Encrypt or its own CA',
    defaultText: 'none',
    choices: PROXIES,
    fallback: () => 'none',
    parse: (raw) => parseChoice('proxy', raw === true ? 'caddy' : raw === false ? 'none' : raw, PROXIES) as Proxy,
  },
  {
    key: 'domains',
    flag: 'domain',
    kind: 'list',
    question: 'Domains the proxy serves',
    hint: 'a hostname or IP the proxy answers for (repeatable); public names get Let\'s Encrypt, localhost/IPs/.internal the internal CA',
    defaultText: 'none (localhost, internal CA)',
    flagOnly: true,
    fallback: () => [],
    parse: (raw) => parseDomains(raw),
  },
  {
    key: 'acmeEmail',
    flag: 'acme-email',
    kind: 'string',
    question: 'E-mail for Let\'s Encrypt notices',
    hint: 'the ACME account address (expiry notices); only used for public domains',
    defaultText: 'none',
    flagOnly: true,
    when: (a: Partial<Answers>) => a.proxy === 'caddy',
    fallback: () => '',
    parse: (raw) => {
      const text = raw === undefined || raw === null || raw === false ? '' : asString('acme-email', raw).trim();
      if (text !== '' && (!EMAIL_RE.test(text) || text.length > 254)) {
        throw new AnswerError('acme-email', `${describe(raw)} is not an e-mail address (e.g. --acme-email ops@example.com)`);
      }
      return text;
    },
  },
  {
    key: 'staticFiles',
    flag: 'static-files',
    kind: 'choice',
    question: 'Who serves Django\'s collected static files?',
    hint: 'proxy: Caddy serves STATIC_URL (/static/) from a read-only volume; app: the app (WhiteNoise). Needs --proxy and collectstatic',
    defaultText: 'app with WhiteNoise in MIDDLEWARE, else proxy (with --proxy and collectstatic)',
    choices: STATIC_FILES,
    when: (a: Partial<Answers>) => a.proxy === 'caddy' && a.framework === 'django' && a.collectStatic === true,
    fallback: (a, _d, facts) => staticFilesDefault(a, facts),
    parse: (raw) => parseChoice('static-files', raw, STATIC_FILES) as StaticFiles,
  },
];
