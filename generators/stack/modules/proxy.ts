/**
 * The front door (issue 22): Caddy in front of the app, the only service that publishes ports
 * (80, 443 and 443/udp for HTTP/3, on PROXY_BIND_IP). Its configuration is data
 * (render/proxy/caddy.ts -> proxy/caddy.json, mounted read-only). Hardened like the rest: a
 * non-root user with no capabilities at all (the engine lets containers bind low ports:
 * net.ipv4.ip_unprivileged_port_start=0), read-only root, certificates and the ACME account in a
 * named volume, limits, a healthcheck, rotated logs, no Docker socket.
 *
 * The official image's /data belongs to root, so a new volume does too: a one-shot `proxy-init`
 * (CHOWN only, no network) hands it to the proxy's user before the proxy starts (and does nothing
 * on later starts, when it already belongs to that user).
 */
import { CADDY_CONFIG_PATH, CADDY_DATA_DIR, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUTS, HEALTH_URL, type ProxyModel } from '../../answers/proxy-facts.js';
import type { Answers } from '../../answers/types.js';
import type { ModuleContext, ServiceModule } from '../types.js';
import { LOGGING, SECURITY_OPT, START_INTERVAL_REF, limits, longRunning } from '../view.js';

export const PROXY_SERVICE = 'proxy';
export const PROXY_INIT_SERVICE = 'proxy-init';
export const PROXY_VOLUME = 'proxy-data';
/** The official image, pinned to a patch release (CADDY_IMAGE names a mirror or a digest). */
export const CADDY_IMAGE = 'caddy:2.8.4-alpine';
/** The proxy's own user: not the app's, so the two share nothing on disk. */
export const PROXY_UID = 10080;
/** Where the rendered config lives in the project. */
export const PROXY_CONFIG_FILE = 'proxy/caddy.json';
const IMAGE_REF = `\${CADDY_IMAGE:-${CADDY_IMAGE}}`;

/** The proxy model of these answers: what render/proxy/caddy.ts turns into Caddy's JSON. */
export function proxyModel(a: Answers): ProxyModel {
  return {
    domains: a.domains,
    upstream: { host: 'app', port: a.port },
    healthPath: a.healthPath,
    staticFiles: null,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    timeouts: DEFAULT_TIMEOUTS,
    ...(a.acmeEmail ? { acmeEmail: a.acmeEmail } : {}),
  };
}

function proxyService() {
  const bind = '${PROXY_BIND_IP:-127.0.0.1}';
  return {
    image: IMAGE_REF,
    user: `${PROXY_UID}:${PROXY_UID}`,
    command: ['caddy', 'run', '--config', CADDY_CONFIG_PATH],
    ports: [`${bind}:\${PROXY_HTTP_PORT:-80}:80`, `${bind}:\${PROXY_HTTPS_PORT:-443}:443`, `${bind}:\${PROXY_HTTPS_PORT:-443}:443/udp`],
    volumes: [`./${PROXY_CONFIG_FILE}:${CADDY_CONFIG_PATH}:ro`, `${PROXY_VOLUME}:${CADDY_DATA_DIR}`],
    read_only: true,
    tmpfs: ['/tmp:size=16m,mode=1777', `/config:size=1m,uid=${PROXY_UID},gid=${PROXY_UID},mode=0700`],
    cap_drop: ['ALL'],
    security_opt: SECURITY_OPT,
    // Docker sets it for every container already; said here so Podman and reviewers see it.
    sysctls: { 'net.ipv4.ip_unprivileged_port_start': 0 },
    depends_on: { [PROXY_INIT_SERVICE]: { condition: 'service_completed_successfully' }, app: { condition: 'service_healthy' } },
    healthcheck: {
      test: ['CMD', 'wget', '-q', '-O', '/dev/null', HEALTH_URL],
      interval: '10s',
      start_interval: START_INTERVAL_REF,
      timeout: '3s',
      retries: 3,
      start_period: '10s',
    },
    ...longRunning('15s', limits('0.5', '128m', 128), 8192),
    networks: ['frontend'],
  };
}

function initService() {
  return {
    image: IMAGE_REF,
    // ($$ is a literal $ for compose.) Only while the volume is new: once Caddy has written its 0700 directories there, root
    // without DAC_OVERRIDE cannot walk them, and a second `up` would fail on a recursive chown.
    command: ['sh', '-c', `[ "$$(stat -c %u ${CADDY_DATA_DIR})" = ${PROXY_UID} ] || chown -R ${PROXY_UID}:${PROXY_UID} ${CADDY_DATA_DIR}`],
    volumes: [`${PROXY_VOLUME}:${CADDY_DATA_DIR}`],
    read_only: true,
    tmpfs: ['/tmp:size=1m,mode=1777'],
    cap_drop: ['ALL'],
    cap_add: ['CHOWN'],
    security_opt: SECURITY_OPT,
    network_mode: 'none',
    healthcheck: { disable: true },
    restart: 'no',
    deploy: limits('0.25', '32m', 16),
    logging: LOGGING,
  };
}

const applies = (a: Answers) => a.proxy === 'caddy';

export const proxyInit: ServiceModule = {
  id: 'proxy-init',
  kind: 'backing',
  serviceName: PROXY_INIT_SERVICE,
  applies,
  options: [],
  role: 'job',
  service: () => initService(),
  comments: () => [
    { path: ['services', PROXY_INIT_SERVICE], text: `Runs once before the proxy: a new ${PROXY_VOLUME} volume belongs to root; this hands it to the proxy's user (${PROXY_UID}). CHOWN only, no network.` },
  ],
};

export const proxy: ServiceModule = {
  id: 'proxy',
  kind: 'backing',
  serviceName: PROXY_SERVICE,
  applies,
  options: ['proxy', 'domains', 'acmeEmail'],
  volumes: () => [PROXY_VOLUME],
  role: 'stateful',
  // Zero-downtime updates on one host: new app containers beside the old, then the old drained.
  scripts: () => [{ name: 'deploy' }],
  service: (_ctx: ModuleContext) => proxyService(),
  comments: (ctx) => [
    { path: ['services', PROXY_SERVICE, 'ports'], text: 'The only published service: 80 redirects to HTTPS, 443 (TCP, and UDP for HTTP/3) serves the app. PROXY_BIND_IP=0.0.0.0 opens it to the network.' },
    { path: ['services', PROXY_SERVICE, 'user'], text: 'Non-root with no capabilities: the engine lets containers bind ports below 1024 (ip_unprivileged_port_start=0).' },
    {
      path: ['services', PROXY_SERVICE, 'volumes'],
      text: `${PROXY_CONFIG_FILE} is the whole configuration (no admin API); ${PROXY_VOLUME} keeps certificates${ctx.answers.domains.some((d) => d) ? ', the ACME account' : ''} and the internal CA across restarts.`,
    },
  ],
  variables: () => [
    { name: 'CADDY_IMAGE', value: CADDY_IMAGE, comment: 'Caddy image for the proxy; point it at a mirror or pin a digest.' },
    { name: 'PROXY_BIND_IP', value: '127.0.0.1', comment: 'Host interface for ports 80 and 443: loopback until you set 0.0.0.0 (or one address) to serve the network.' },
    { name: 'PROXY_HTTP_PORT', value: '80', comment: 'Host port for plain HTTP (redirects only; Let\'s Encrypt\'s HTTP challenge needs 80).' },
    { name: 'PROXY_HTTPS_PORT', value: '443', comment: 'Host port for HTTPS (TCP and UDP). Redirects point at 443: change it only behind another balancer.' },
  ],
  smoke: () => [{ name: 'proxy healthy', service: PROXY_SERVICE, check: { kind: 'running' }, passed: 'proxy healthy' }],
  audit: () => [{ service: PROXY_SERVICE, rules: ['CP-03', 'CP-04', 'CP-06', 'CP-08', 'CP-12', 'CP-14', 'CP-16', 'CP-21', 'PX-01', 'PX-02', 'PX-03', 'PX-04'], image: /^(?:[^/]+\/)*caddy(:|@|$)/ }],
  image: { variable: 'CADDY_IMAGE', option: 'proxyImage', flag: 'proxy-image', default: CADDY_IMAGE },
};
