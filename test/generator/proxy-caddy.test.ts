import { describe, expect, it } from 'vitest';
import {
  caddyConfig,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUTS,
  domainProblem,
  HSTS_VALUE,
  renderCaddyJson,
  usesInternalCa,
  type ProxyModel,
} from '../../generators/render/proxy/caddy.js';

function model(over: Partial<ProxyModel> = {}): ProxyModel {
  return {
    domains: [],
    upstream: { host: 'app', port: 8000 },
    healthPath: '/health',
    staticFiles: null,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    timeouts: DEFAULT_TIMEOUTS,
    ...over,
  };
}

type J = Record<string, any>;
const servers = (c: J): J => c.apps.http.servers;
const siteRoutes = (c: J): J[] => servers(c).https.routes[0].handle[0].routes;
const handlers = (c: J): J[] => siteRoutes(c).flatMap((r: J) => r.handle);
const policies = (c: J): J[] => c.apps.tls.automation.policies;

describe('Caddy JSON config from the proxy model', () => {
  it('a public domain gets ACME with the e-mail; localhost, IPs and reserved names get the internal CA', () => {
    const c: J = caddyConfig(model({ domains: ['shop.example.com', 'localhost', '10.0.0.5', 'api.internal'], acmeEmail: 'ops@example.com' }));
    expect(policies(c)).toEqual([
      { subjects: ['localhost', '10.0.0.5', 'api.internal'], issuers: [{ module: 'internal' }] },
      { subjects: ['shop.example.com'], issuers: [{ module: 'acme', email: 'ops@example.com' }] },
    ]);
    expect(c.apps.pki.certificate_authorities.local.install_trust).toBe(false);
  });

  it('no domain: internal CA for localhost, any Host answered, no HSTS', () => {
    const c: J = caddyConfig(model());
    expect(policies(c)).toEqual([{ subjects: ['localhost'], issuers: [{ module: 'internal' }] }]);
    expect(servers(c).https.routes[0].match).toBeUndefined();
    expect(JSON.stringify(c)).not.toContain('Strict-Transport-Security');
  });

  it('HSTS only on names that are not localhost or an IP; security headers on every response and error', () => {
    const c: J = caddyConfig(model({ domains: ['localhost', '127.0.0.1', 'shop.internal', 'example.org'] }));
    const hsts = siteRoutes(c).find((r: J) => JSON.stringify(r).includes('Strict-Transport-Security'))!;
    expect(hsts.match).toEqual([{ host: ['shop.internal', 'example.org'] }]);
    expect(hsts.handle[0].response.set['Strict-Transport-Security']).toEqual([HSTS_VALUE]);
    const first = siteRoutes(c)[0]!.handle[0].response;
    expect(first.set).toMatchObject({ 'X-Content-Type-Options': ['nosniff'], 'X-Frame-Options': ['DENY'], 'Referrer-Policy': ['strict-origin-when-cross-origin'] });
    expect(first.delete).toEqual(['Server']);
    expect(JSON.stringify(servers(c).https.errors)).toContain('X-Content-Type-Options');
  });

  it('plain HTTP redirects to https on the same host and path; unknown names get 421', () => {
    const c: J = caddyConfig(model({ domains: ['shop.example.com'] }));
    const redirect = servers(c).redirect;
    expect(redirect.listen).toEqual([':80']);
    expect(redirect.routes[0]!.handle[0]).toMatchObject({ status_code: 308, headers: { Location: ['https://{http.request.host}{http.request.uri}'] } });
    expect(servers(c).https.routes[1]).toEqual({ handle: [{ handler: 'static_response', status_code: 421 }] });
    expect(servers(c).https.listen).toEqual([':443']);
    expect(servers(c).https.protocols).toEqual(['h1', 'h2', 'h3']);
  });

  it('body limit, compression, timeouts and the upstream come from the model', () => {
    const c: J = caddyConfig(model({ upstream: { host: 'web', port: 9000 }, maxBodyBytes: 1234, timeouts: { readHeader: '5s', read: '30s', write: '40s', idle: '50s' } }));
    expect(handlers(c)).toContainEqual({ handler: 'request_body', max_size: 1234 });
    expect(handlers(c).find((h) => h.handler === 'encode')).toMatchObject({ encodings: { zstd: {}, gzip: {} } });
    const rp = handlers(c).find((h) => h.handler === 'reverse_proxy')!;
    // every address of the name is an upstream (two app containers during scripts/deploy.sh), failures set aside and retried
    expect(rp.dynamic_upstreams).toEqual({ source: 'a', name: 'web', port: '9000', refresh: '250ms' });
    expect(rp.load_balancing).toMatchObject({ try_duration: '10s' });
    expect(rp.health_checks.passive).toMatchObject({ max_fails: 1 });
    // no keep-alive to the app: reused connections to uvicorn --workers N wait ~40 ms each (Nagle)
    expect(rp.transport.keep_alive).toEqual({ enabled: false });
    expect(servers(c).https).toMatchObject({ read_header_timeout: '5s', read_timeout: '30s', write_timeout: '40s', idle_timeout: '50s' });
  });

  it('static files: served from the shared volume under the prefix, before the app', () => {
    const c: J = caddyConfig(model({ staticFiles: { urlPrefix: '/static/' } }));
    const routes = siteRoutes(c);
    const i = routes.findIndex((r: J) => r.handle[0].handler === 'file_server');
    expect(routes[i]).toMatchObject({ match: [{ path: ['/static/*'] }], handle: [{ handler: 'file_server', root: '/srv' }], terminal: true });
    expect(i).toBeLessThan(routes.findIndex((r: J) => r.handle[0].handler === 'reverse_proxy'));
    expect(JSON.stringify(caddyConfig(model()))).not.toContain('file_server');
  });

  it('no admin API, a loopback-only health listener', () => {
    const c: J = caddyConfig(model());
    expect(c.admin).toMatchObject({ disabled: true });
    expect(servers(c).health.listen).toEqual(['127.0.0.1:2080']);
  });

  it('a hostile e-mail or name stays a JSON string value', () => {
    const email = 'a"}, "admin": {"listen": ":2019"}, "x": {"@example.com';
    const text = renderCaddyJson(model({ domains: ['example.org'], acmeEmail: email }));
    const parsed = JSON.parse(text);
    expect(parsed.admin).toEqual({ disabled: true, config: { persist: false } });
    expect(policies(parsed)[0]!.issuers[0].email).toBe(email);
    expect(text.endsWith('}\n')).toBe(true);
  });
});

describe('domain checks', () => {
  it('accepts hostnames and IPs', () => {
    for (const d of ['example.org', 'a-b.example.co.uk', 'localhost', '127.0.0.1', '::1', 'xn--bcher-kva.example', 'shop.internal.']) {
      expect(domainProblem(d), d).toBeUndefined();
    }
  });
  it('names what is wrong with the rest', () => {
    expect(domainProblem('https://example.org')).toMatch(/bare hostname/);
    expect(domainProblem('example.org:443')).toMatch(/bare hostname/);
    expect(domainProblem('*.example.org')).toMatch(/wildcard/);
    expect(domainProblem('-bad.example')).toMatch(/labels/);
    expect(domainProblem('under_score.example')).toMatch(/labels/);
    expect(domainProblem('a..b')).toMatch(/labels/);
    expect(domainProblem('')).toMatch(/empty/);
    expect(domainProblem('1.2.3')).toMatch(/not a hostname/);
    expect(domainProblem(`${'a'.repeat(64)}.example`)).toMatch(/labels/);
  });
  it('internal CA for local and reserved names only', () => {
    expect(['localhost', 'app.localhost', '192.168.1.2', 'x.test', 'nas.home.arpa', 'db.internal'].every(usesInternalCa)).toBe(true);
    expect(['example.org', 'shop.example.com.au', 'testing.org'].some(usesInternalCa)).toBe(false);
  });
});
