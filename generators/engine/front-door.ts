/**
 * Smoke through the front door (issue 22): the checks a proxied stack must pass, as data, and the
 * one function that runs a check against a running proxy from the host. The certificate is
 * verified against the internal CA's root the caller read from the proxy's data volume; nothing
 * here trusts an unverified certificate.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Where the running proxy is, as the host sees it. */
export interface FrontDoor {
  /** Address the published ports are bound to (PROXY_BIND_IP). */
  address: string;
  httpPort: number;
  httpsPort: number;
  /** The name to ask for (SNI and Host): the first --domain, or localhost. */
  serverName: string;
  /** PEM of the internal CA root (from /data/caddy/pki/authorities/local/root.crt). */
  caPem: string;
  healthPath: string;
  /** Whether the name gets HSTS (not localhost, not an IP). */
  expectHsts: boolean;
  /** The app's own port, which must not answer on the host. */
  appPort: number;
}

export type FrontDoorCheck =
  /** HTTPS with the certificate verified against the CA root; `path` answers 2xx. */
  | { kind: 'https-verified'; path: 'health' }
  /** Plain HTTP answers with a redirect to https:// on the same host and path. */
  | { kind: 'http-redirects' }
  /** The response carries these headers (HSTS where it applies) and no Server header. */
  | { kind: 'security-headers' }
  /** Nothing accepts a connection on the app's own port on the host. */
  | { kind: 'app-port-closed' };

export interface FrontDoorStep {
  name: string;
  check: FrontDoorCheck;
  passed: string;
}

/** The front-door steps, in the order smoke runs them (names are stable: tests and CI read them). */
export const FRONT_DOOR_STEPS: readonly FrontDoorStep[] = [
  { name: 'https through the proxy', check: { kind: 'https-verified', path: 'health' }, passed: 'certificate verified against the internal CA; health path answers' },
  { name: 'http redirects to https', check: { kind: 'http-redirects' }, passed: 'plain HTTP -> 308 https://' },
  { name: 'security headers', check: { kind: 'security-headers' }, passed: 'HSTS where it applies, nosniff, Referrer-Policy, frame policy; no Server header' },
  { name: 'app port closed on the host', check: { kind: 'app-port-closed' }, passed: 'only the proxy is published' },
];

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS GET through the proxy, verified against the CA root (no other trust). */
export function httpsGet(door: FrontDoor, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: door.address,
        port: door.httpsPort,
        servername: door.serverName,
        path,
        method: 'GET',
        headers: { host: door.serverName, ...headers },
        ca: door.caPem,
        rejectUnauthorized: true,
        agent: false,
        timeout: 10_000,
      },
      (res) => collect(res, resolve),
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from https://${door.serverName}:${door.httpsPort}${path} in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** One plain-HTTP GET to the proxy's port 80 side. */
export function httpGet(door: FrontDoor, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: door.address, port: door.httpPort, path, method: 'GET', headers: { host: door.serverName }, agent: false, timeout: 10_000 },
      (res) => collect(res, resolve),
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from http://${door.serverName}:${door.httpPort}${path} in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

function collect(res: import('node:http').IncomingMessage, resolve: (a: HttpAnswer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
}

/** Whether something accepts a TCP connection on address:port (within 2 s). */
export function portAnswers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 2_000 });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

/** The headers every proxied response must carry, by the proxy's config (render/proxy/caddy.ts). */
export const REQUIRED_HEADERS: Readonly<Record<string, RegExp>> = {
  'x-content-type-options': /^nosniff$/i,
  'referrer-policy': /\S/,
  'x-frame-options': /^(DENY|SAMEORIGIN)$/i,
};

/** Runs one check; resolves to undefined when it passed, else to what went wrong. */
export async function runFrontDoorCheck(door: FrontDoor, check: FrontDoorCheck): Promise<string | undefined> {
  switch (check.kind) {
    case 'https-verified': {
      const r = await httpsGet(door, door.healthPath);
      return r.status >= 200 && r.status < 300 ? undefined : `GET https://${door.serverName}${door.healthPath} -> ${r.status}`;
    }
    case 'http-redirects': {
      const path = `${door.healthPath}?from=http`;
      const r = await httpGet(door, path);
      const location = String(r.headers.location ?? '');
      const want = `https://${door.serverName}${door.httpsPort === 443 ? '' : `:${door.httpsPort}`}${path}`;
      if (r.status !== 301 && r.status !== 308) return `plain HTTP answered ${r.status}, not a redirect`;
      return location === want || location === `https://${door.serverName}${path}` ? undefined : `redirect to ${location}, expected ${want}`;
    }
    case 'security-headers': {
      const r = await httpsGet(door, door.healthPath);
      const problems = Object.entries(REQUIRED_HEADERS)
        .filter(([name, want]) => !want.test(String(r.headers[name] ?? '')))
        .map(([name]) => `${name} missing or wrong (${String(r.headers[name] ?? 'absent')})`);
      const hsts = String(r.headers['strict-transport-security'] ?? '');
      if (door.expectHsts && !/max-age=\d{7,}/.test(hsts)) problems.push(`Strict-Transport-Security missing or short (${hsts || 'absent'})`);
      if (!door.expectHsts && hsts) problems.push(`Strict-Transport-Security on ${door.serverName}, which must not get it`);
      if (r.headers.server) problems.push(`Server header present (${String(r.headers.server)})`);
      return problems.length === 0 ? undefined : problems.join('; ');
    }
    case 'app-port-closed':
      return (await portAnswers(door.address, door.appPort)) ? `the app's port ${door.appPort} answers on ${door.address}` : undefined;
  }
}

/** Milliseconds of one TLS handshake (TCP connect to secureConnect), verified against the CA root. */
export function handshakeMs(door: FrontDoor): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const socket = tlsConnect({ host: door.address, port: door.httpsPort, servername: door.serverName, ca: door.caPem, ALPNProtocols: ['http/1.1'] }, () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      socket.end();
      resolve(ms);
    });
    socket.on('error', reject);
  });
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
