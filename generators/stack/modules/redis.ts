/**
 * Redis as the official image runs it (uid 999 owns /data), with the password from a file secret:
 * the config is written to the tmpfs at start, so the password is in no argv, env or layer.
 * Serves the `{redis.*}` placeholders.
 */
import type { ServiceModule } from '../types.js';
import { limits, SECURITY_OPT, START_INTERVAL_REF, longRunning } from '../view.js';

export const REDIS_HOST = 'redis';
export const REDIS_PORT = 6379;
export const REDIS_SECRET = 'redis_password';
/** The Redis image when REDIS_IMAGE does not name a mirror: pinned to a minor, like Postgres to a major. */
export const REDIS_IMAGE = 'redis:7.4-bookworm';
/** redis-cli authenticated from the secret file (REDISCLI_AUTH: never an argument). */
const AUTH = `REDISCLI_AUTH="$(cat /run/secrets/${REDIS_SECRET})"`;

function service() {
  return {
    image: `\${REDIS_IMAGE:-${REDIS_IMAGE}}`,
    user: '999:999',
    command: [
      'sh',
      '-c',
      `printf 'requirepass "%s"\\nappendonly yes\\ndir /data\\n' "$$(cat /run/secrets/${REDIS_SECRET})" > /tmp/redis.conf && exec redis-server /tmp/redis.conf`,
    ],
    secrets: [REDIS_SECRET],
    volumes: ['redis-data:/data'],
    healthcheck: {
      // Authenticated: a PING without the password would answer NOAUTH.
      test: ['CMD-SHELL', `REDISCLI_AUTH="$$(cat /run/secrets/${REDIS_SECRET})" redis-cli -h 127.0.0.1 ping | grep -q PONG`],
      interval: '5s',
      start_interval: START_INTERVAL_REF,
      timeout: '5s',
      retries: 10,
      start_period: '10s',
    },
    read_only: true,
    tmpfs: ['/tmp:size=16m,mode=1777'],
    cap_drop: ['ALL'],
    security_opt: SECURITY_OPT,
    ...longRunning('30s', limits('0.5', '256m', 128)),
    networks: ['backend'],
  };
}

export const redis: ServiceModule = {
  id: 'redis',
  kind: 'backing',
  serviceName: REDIS_HOST,
  applies: (a) => a.redis,
  options: ['redis'],
  endpoint: () => ({
    family: 'redis',
    scheme: 'redis',
    host: REDIS_HOST,
    port: REDIS_PORT,
    user: '',
    name: '0',
    secret: REDIS_SECRET,
    // collectstatic never connects: the URL without its password is enough to import the settings.
    buildUrl: `redis://${REDIS_HOST}:${REDIS_PORT}/0`,
    buildUrlInText: `redis://${REDIS_HOST}:${REDIS_PORT}/0`,
  }),
  secrets: () => [REDIS_SECRET],
  volumes: () => ['redis-data'],
  readyWhen: 'service_healthy',
  service,
  comments: () => [
    { path: ['services', REDIS_HOST, 'command'], text: `The password comes from secrets/${REDIS_SECRET} into a config on the tmpfs; never an argument or variable.` },
    { path: ['networks', 'backend'], text: 'internal: no route out; the database, Redis and worker live here.' },
  ],
  variables: () => [
    { name: 'REDIS_IMAGE', value: REDIS_IMAGE, comment: `Redis image; point it at a mirror or pin a digest. The password lives in secrets/${REDIS_SECRET}.` },
  ],
  role: 'stateful',
  smoke: (a) => [
    {
      name: 'redis answers with its password',
      service: REDIS_HOST,
      check: { kind: 'auth-required', anonymous: 'redis-cli -h 127.0.0.1 ping', authenticated: `${AUTH} redis-cli -h 127.0.0.1 ping`, refused: /NOAUTH/, answer: 'PONG' },
      passed: 'PING without the password -> NOAUTH; with the secret -> PONG',
    },
    ...(a.worker.trim() !== ''
      ? [{ name: 'worker connected to redis', service: REDIS_HOST, check: { kind: 'client-from' as const, from: 'worker', script: `${AUTH} redis-cli -h 127.0.0.1 client list` }, passed: 'a connection from the worker' }]
      : []),
  ],
  audit: () => [{ service: REDIS_HOST, rules: ['CP-18', 'CP-19'], image: /^(?:[^/]+\/)*redis(:|@|$)/ }],
  image: { variable: 'REDIS_IMAGE', option: 'redisImage', flag: 'redis-image', default: REDIS_IMAGE },
};
