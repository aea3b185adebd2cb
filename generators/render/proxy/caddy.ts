/**
 * The front door's configuration as data: a small proxy model in, Caddy's native JSON config out
 * (`caddy run --config /etc/caddy/caddy.json`). JSON rather than a Caddyfile: every user string
 * (a domain, an e-mail address) is a JSON string value, so nothing needs escaping and nothing can
 * turn into a directive. Pure: no disk, no process.
 *
 * What the config does (issue 22):
 * - :80 answers every request with a 308 to https:// on the same host and path (the ACME HTTP
 *   challenge is served before any route, by Caddy itself);
 * - :443 (TCP for HTTP/1.1 and HTTP/2, UDP for HTTP/3) terminates TLS and forwards to the app;
 * - certificates: a public domain gets ACME (Let's Encrypt), localhost, an IP, a reserved name
 *   (.localhost, .internal, .test, ...) or no domain at all gets Caddy's internal CA;
 * - headers: HSTS (never on localhost or an IP), X-Content-Type-Options, Referrer-Policy, a frame
 *   policy; no Server header; gzip/zstd compression; a request body limit; server timeouts;
 * - a loopback-only listener answers the container's healthcheck, so the probe needs no TLS and
 *   never depends on the app.
 */
import { HEALTH_LISTEN, HSTS_VALUE, SECURITY_HEADERS, STATIC_ROOT, getsHsts, usesInternalCa, type ProxyModel, type ProxyTimeouts } from '../../answers/proxy-facts.js';
// The facts about names and paths live in the answers room (validation needs them too); re-exported here.
export * from '../../answers/proxy-facts.js';

type Json = Record<string, unknown>;

function headersHandler(set: Record<string, string>, remove: string[] = []): Json {
  return {
    handler: 'headers',
    response: {
      set: Object.fromEntries(Object.entries(set).map(([k, v]) => [k, [v]])),
      ...(remove.length > 0 ? { delete: remove } : {}),
      // set on the way out, so the app's own response cannot drop them
      deferred: true,
    },
  };
}

/** The header routes: security headers on every response, HSTS on the names that get it. */
function headerRoutes(m: ProxyModel): Json[] {
  const hsts = m.domains.filter(getsHsts);
  return [
    { handle: [headersHandler(SECURITY_HEADERS, ['Server'])] },
    ...(hsts.length > 0 ? [{ match: [{ host: hsts }], handle: [headersHandler({ 'Strict-Transport-Security': HSTS_VALUE })] }] : []),
  ];
}

/** The routes inside the HTTPS server, in order: headers, body limit, compression, static, app. */
function siteRoutes(m: ProxyModel): Json[] {
  const routes: Json[] = [
    ...headerRoutes(m),
    { handle: [{ handler: 'request_body', max_size: m.maxBodyBytes }] },
    { handle: [{ handler: 'encode', encodings: { zstd: {}, gzip: {} }, prefer: ['zstd', 'gzip'] }] },
  ];
  if (m.staticFiles) {
    routes.push({
      match: [{ path: [`${m.staticFiles.urlPrefix}*`] }],
      handle: [{ handler: 'file_server', root: STATIC_ROOT }],
      terminal: true,
    });
  }
  routes.push({
    handle: [
      {
        handler: 'reverse_proxy',
        // Every address the app's name has is an upstream, looked up four times a second: while
        // scripts/deploy.sh runs an old and a new app container side by side, both get requests,
        // and the old one leaves the list once it stops (Swarm: the name is the service's VIP).
        dynamic_upstreams: { source: 'a', name: m.upstream.host, port: String(m.upstream.port), refresh: '250ms' },
        // A request that cannot connect (an app container stopping or restarting) is tried again on
        // another upstream, or the same one once back, for up to 10 s, instead of failing at once.
        load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: '10s', try_interval: '100ms' },
        // A failed connection sets that upstream aside for 2 s, so the next requests skip it.
        health_checks: { passive: { fail_duration: '2s', max_fails: 1 } },
        // The app is on the same host or network: a connection takes milliseconds. A container that
        // just stopped leaves an address nothing answers (no refusal) until the lookup above
        // drops it; a short dial timeout moves such a request on to another upstream quickly.
        //
        // A new connection per request, no keep-alive to the app: uvicorn with --workers N (the
        // stack's WEB_CONCURRENCY) and its gunicorn worker leave Nagle on (Kludex/uvicorn#3149), so
        // each reused connection waited ~40 ms on a delayed ACK; a fresh one on the same host costs
        // ~0.1 ms. gunicorn's sync workers close every connection anyway. The app closes first, so
        // no TIME_WAIT piles up in the proxy, and no pooled connection outlives an old container.
        transport: { protocol: 'http', dial_timeout: '250ms', response_header_timeout: m.timeouts.write, keep_alive: { enabled: false } },
      },
    ],
  });
  return routes;
}

/** TLS automation: internal CA for local names, ACME for public ones; the CA root is never installed anywhere. */
function tlsApp(m: ProxyModel): Json {
  const names = m.domains.length > 0 ? [...m.domains] : ['localhost'];
  const internal = names.filter(usesInternalCa);
  const acme = names.filter((d) => !usesInternalCa(d));
  const policies: Json[] = [];
  if (internal.length > 0) policies.push({ subjects: internal, issuers: [{ module: 'internal' }] });
  if (acme.length > 0) {
    policies.push({ subjects: acme, issuers: [{ module: 'acme', ...(m.acmeEmail ? { email: m.acmeEmail } : {}) }] });
  }
  return { automation: { policies } };
}

/** Caddy's JSON config for the model. The object is the file: `JSON.stringify` it. */
export function caddyConfig(m: ProxyModel): Json {
  const names = m.domains.length > 0 ? [...m.domains] : ['localhost'];
  const site: Json = {
    handle: [{ handler: 'subroute', routes: siteRoutes(m) }],
    terminal: true,
  };
  // With names, only they are answered; with none, any Host (the certificate says localhost).
  if (m.domains.length > 0) site.match = [{ host: [...m.domains] }];
  return {
    // No admin API: nothing in or out of the container can rewrite the config; it is the file.
    admin: { disabled: true, config: { persist: false } },
    logging: { logs: { default: { level: 'INFO' } } },
    apps: {
      http: {
        // On stop, in-flight requests get 10 s (compose's stop_grace_period for the proxy is longer).
        grace_period: '10s',
        http_port: 80,
        https_port: 443,
        servers: {
          https: {
            listen: [':443'],
            // A request for a name the proxy does not serve gets 421 Misdirected Request, not the app.
            routes: m.domains.length > 0 ? [site, { handle: [{ handler: 'static_response', status_code: 421 }] }] : [site],
            // Errors (the app down: 502) carry the same headers, with no body that names the proxy.
            errors: { routes: [...headerRoutes(m), { handle: [{ handler: 'static_response', status_code: '{http.error.status_code}' }] }] },
            ...timeouts(m.timeouts),
            protocols: ['h1', 'h2', 'h3'],
            // Without an SNI name (a client that dials the IP) the first name's certificate is used.
            tls_connection_policies: [{ default_sni: names[0] }],
            automatic_https: { disable_redirects: true },
            logs: {},
          },
          redirect: {
            listen: [':80'],
            routes: [
              {
                handle: [
                  {
                    handler: 'static_response',
                    status_code: 308,
                    headers: { Location: ['https://{http.request.host}{http.request.uri}'], Connection: ['close'] },
                  },
                ],
              },
            ],
            ...timeouts(m.timeouts),
          },
          health: {
            listen: [HEALTH_LISTEN],
            routes: [{ handle: [{ handler: 'static_response', status_code: 200, body: 'ok' }] }],
            automatic_https: { disable: true },
          },
        },
      },
      tls: tlsApp(m),
      // The internal CA lives in /data; a container cannot (and must not) add it to a trust store.
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
}

function timeouts(t: ProxyTimeouts): Json {
  return { read_header_timeout: t.readHeader, read_timeout: t.read, write_timeout: t.write, idle_timeout: t.idle };
}

/** The file's text: stable key order, two-space indent, a final newline. */
export function renderCaddyJson(m: ProxyModel): string {
  return `${JSON.stringify(caddyConfig(m), null, 2)}\n`;
}
