import type { Rule } from './types.js';

/**
 * Rules for reverse proxies in front of an app (PX-xx, this tool's own ids; issue 22). They hold in
 * any project: Traefik, Caddy, nginx, HAProxy or Envoy services in a compose file, and the proxy's
 * own configuration where the project holds it (a mounted Caddyfile, caddy.json, nginx.conf,
 * traefik.yml, or Traefik's flags and labels in the compose file).
 */
export const PROXY_RULES = {
  'PX-01': {
    severity: 'critical',
    title: 'Docker socket in an internet-facing container',
    why: 'A container that mounts /var/run/docker.sock can start a privileged container with the host\'s / mounted: it is root on the host. In a published service (a proxy that finds its routes through the socket, as the full-stack FastAPI template\'s Traefik does) one hole in that service is the whole host; `:ro` does not help, the API is still writable.',
    fix: 'Give the proxy its routes as a file instead (Caddy JSON or a Caddyfile, Traefik\'s file provider, an nginx conf) and remove the socket mount; if discovery is a must, put a socket proxy that allows only read-only GET /containers (e.g. tecnativa/docker-socket-proxy on an internal network) between them, or regenerate with `npx create-pyimage --proxy caddy`.',
  },
  'PX-02': {
    severity: 'high',
    title: 'Proxy without an HTTP to HTTPS redirect',
    why: 'Plain HTTP is still served: a first visit, a typed address or an old link sends cookies and credentials in clear text, and the browser never learns the site is HTTPS-only.',
    fix: 'Redirect every plain-HTTP request: Caddy does it by itself (do not set `auto_https off`/`disable_redirects` without a `redir https://{host}{uri} 308`); Traefik: `--entrypoints.web.http.redirections.entrypoint.to=websecure` and `.scheme=https`; nginx: `return 308 https://$host$request_uri;` in the port-80 server.',
  },
  'PX-03': {
    severity: 'medium',
    title: 'Proxy without HSTS',
    why: 'Without Strict-Transport-Security a browser will try plain HTTP again on the next visit, where an attacker on the network can strip TLS before the redirect happens.',
    fix: 'Send `Strict-Transport-Security: max-age=31536000` on HTTPS responses for public names (not for localhost): Caddy `header Strict-Transport-Security "max-age=31536000"`; Traefik headers middleware `stsSeconds=31536000`; nginx `add_header Strict-Transport-Security "max-age=31536000" always;`.',
  },
  'PX-04': {
    severity: 'high',
    title: 'App published beside the proxy',
    why: 'A service that publishes its own port next to the proxy can be reached around it: no TLS, no security headers, no body limit, and whatever the proxy filters is bypassed. Docker\'s published ports also bypass host firewalls.',
    fix: 'Remove `ports:` from every service except the proxy and let the proxy reach them on the compose network (`reverse_proxy app:8000`); for local debugging publish on 127.0.0.1 in an override file only.',
  },
} as const satisfies Record<string, Rule>;
