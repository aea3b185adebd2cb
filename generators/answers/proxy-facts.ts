/**
 * What the front door knows before anything is rendered (issue 22): where Caddy keeps its config
 * and data, which names get the internal CA or HSTS, and whether a --domain value is usable.
 * Pure facts, in the answers room so validation, the stack model and the renderer share them.
 */
import { isIP } from 'node:net';
import { AnswerError } from './errors.js';
import type { Answers } from './types.js';

/** Where the config lives in the container (the compose service mounts the rendered file there). */
export const CADDY_CONFIG_PATH = '/etc/caddy/caddy.json';
/** Caddy's data directory in the official image (XDG_DATA_HOME=/data): certificates, ACME account, the CA. */
export const CADDY_DATA_DIR = '/data';
/** The internal CA's root certificate, which a client trusts to verify the proxy. */
export const INTERNAL_CA_ROOT = `${CADDY_DATA_DIR}/caddy/pki/authorities/local/root.crt`;
/** The loopback listener the healthcheck probes (inside the container only; never published). */
export const HEALTH_LISTEN = '127.0.0.1:2080';
export const HEALTH_URL = `http://${HEALTH_LISTEN}/`;
/** Where static files are mounted in the proxy container (served under the app's STATIC_URL). */
export const STATIC_ROOT = '/srv';
/** The URL prefix the proxy serves them under: Django's STATIC_URL ("static/" and "/static/" both mean this). */
export const STATIC_URL_PREFIX = '/static/';

/** HSTS for a year; no includeSubDomains and no preload: those bind names the user may not own yet. */
export const HSTS_VALUE = 'max-age=31536000';
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
};

export interface ProxyTimeouts {
  /** Time to read the request headers (slowloris). */
  readHeader: string;
  /** Time to read the whole request, body included. */
  read: string;
  /** Time to write the response. */
  write: string;
  /** Keep-alive idle time. */
  idle: string;
}

export interface ProxyModel {
  /** Names the proxy answers for; empty = any name, with an internal-CA certificate for localhost. */
  domains: readonly string[];
  /** The app as the proxy reaches it on the compose network. */
  upstream: { host: string; port: number };
  /** The app's health path; the proxy forwards it like any path (smoke asks it through the front door). */
  healthPath: string;
  /** Serve these URL paths from files the proxy has (Django's collected static files); null = the app serves them. */
  staticFiles: { urlPrefix: string } | null;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  timeouts: ProxyTimeouts;
  /** The ACME account e-mail (expiry notices); undefined = none. Only used with a public domain. */
  acmeEmail?: string;
}

export const DEFAULT_TIMEOUTS: ProxyTimeouts = { readHeader: '10s', read: '60s', write: '120s', idle: '120s' };
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Suffixes no public CA issues for (RFC 6761/2606, RFC 8375) and Caddy treats as internal. */
const INTERNAL_SUFFIXES = ['localhost', 'local', 'internal', 'test', 'example', 'invalid', 'home.arpa'];

/** Whether a name gets Caddy's internal CA rather than ACME: localhost, an IP, a reserved name. */
export function usesInternalCa(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (isIP(d) !== 0) return true;
  return INTERNAL_SUFFIXES.some((s) => d === s || d.endsWith(`.${s}`));
}

/** HSTS makes a browser refuse plain HTTP to the name for a year: never for localhost or an IP. */
export function getsHsts(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return isIP(d) === 0 && d !== 'localhost' && !d.endsWith('.localhost');
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Why a --domain value is not usable, or undefined when it is: a hostname (letters, digits,
 * hyphens, dot-separated labels, at most 253 characters) or an IP address. No scheme, port,
 * path, wildcard or space.
 */
export function domainProblem(domain: string): string | undefined {
  if (isIP(domain) !== 0) return undefined;
  const d = domain.toLowerCase();
  if (d.length === 0) return 'is empty';
  if (d.length > 253) return 'is longer than 253 characters';
  if (/[/:@\s*]/.test(d)) return 'must be a bare hostname or IP address (no scheme, port, path, wildcard or space)';
  const labels = d.replace(/\.$/, '').split('.');
  if (!labels.every((l) => LABEL.test(l))) return 'is not a hostname: labels of letters, digits and inner hyphens, separated by dots';
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return 'is not a hostname or an IP address';
  return undefined;
}

/**
 * Rules between the proxy answers and the rest. The app's port cannot clash with the proxy's 80/443:
 * --port refuses ports below 1024, and the proxy listens in its own container.
 */
export function proxyProblems(a: Answers): void {
  // The Kubernetes Ingress (--kube-ingress) routes the same names.
  if (a.proxy === 'none' && a.domains.length > 0 && !a.kubeIngress) {
    throw new AnswerError('domain', 'is only used with --proxy caddy or --kube-ingress; add one of them or drop --domain');
  }
  if (a.proxy === 'none' && a.acmeEmail !== '') {
    throw new AnswerError('acme-email', 'is only used with --proxy caddy; add --proxy caddy or drop --acme-email');
  }
  if (a.staticFiles === 'proxy' && (a.proxy !== 'caddy' || a.framework !== 'django' || !a.collectStatic)) {
    const need = a.proxy !== 'caddy' ? '--proxy caddy' : a.framework !== 'django' ? '--framework django' : '--collectstatic';
    throw new AnswerError('static-files', `"proxy" serves Django's collected static files from the proxy: it needs ${need}; add it or use --static-files app`);
  }
}
