/**
 * --proxy caddy on the real engine for Django with Postgres (issue 22): the e2e-django-dburl
 * fixture generated with a domain, started with `docker compose up --wait` on the stand-ins, then
 * every front-door check from the host (certificate verified against the internal CA root from the
 * proxy's volume), Django accepting the proxied Host (ALLOWED_HOSTS wired to the domain), and
 * --static-files proxy: the collected files served by Caddy from the static volume, without the app.
 *   flock /tmp/engine.lock npx vitest run test/e2e/proxy-django.e2e.test.ts
 */
import { rmSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONT_DOOR_STEPS, httpsGet, runFrontDoorCheck, type FrontDoor } from '../../generators/engine/front-door.js';
import { INTERNAL_CA_ROOT } from '../../generators/render/proxy/caddy.js';
import { ensureEngine, leftoversOf, requireBuiltCli, type E2EEnv } from './engine.js';
import { cli, fromFixture, MINUTE, workDir, freePort } from './harness.js';

const PROJECT = 'create-pyimage-e2e-proxydj';
const DOMAIN = 'shop.internal';
let env: E2EEnv;
let work: string;
let dir: string;
let composeEnv: Record<string, string>;


async function compose(args: string[], reject = true) {
  return execa('docker', ['compose', '-p', PROJECT, ...args], { cwd: dir, env: composeEnv, reject, timeout: 15 * MINUTE });
}

beforeAll(async () => {
  requireBuiltCli();
  env = await ensureEngine();
  work = workDir('pyimage-proxydj-');
  dir = fromFixture(work, 'test/fixtures/e2e-django-dburl', 'shop');
  composeEnv = {
    ...(process.env as Record<string, string>),
    PYTHON_IMAGE: env.pythonImage,
    POSTGRES_IMAGE: env.postgresImage,
    REDIS_IMAGE: env.redisImage,
    PIP_INDEX_URL: env.indexUrl,
    PIP_FIND_LINKS: '',
    BUILD_NETWORK: 'host',
    // The offline index has gunicorn 20.1.0 only: the version the Dockerfile pins is not there (as in django.e2e).
    SERVER_PACKAGES: 'gunicorn==20.1.0',
    CADDY_IMAGE: env.caddyImage,
    PROXY_HTTP_PORT: String(await freePort()),
    PROXY_HTTPS_PORT: String(await freePort()),
  };
}, 30 * MINUTE);

afterAll(async () => {
  if (dir) await compose(['down', '-v', '--remove-orphans', '--rmi', 'local'], false);
  if (work) rmSync(work, { recursive: true, force: true });
}, 5 * MINUTE);

describe('--proxy caddy, Django with Postgres', () => {
  it('generates, comes up healthy, and passes every front-door check', async () => {
    const gen = await cli([dir, '--yes', '--postgres', '--postgres-version', env.postgresVersion, '--health-path', '/items/', '--proxy', 'caddy', '--domain', DOMAIN, '--static-files', 'proxy']);
    expect(gen.exitCode, gen.stderr).toBe(0);
    const setup = await execa('bash', ['-c', 'mkdir -p secrets && umask 077 && for s in db_password secret_key redis_password; do [ -f secrets/$s ] || head -c 24 /dev/urandom | base64 | tr -d "/+=" > secrets/$s; done; chmod 0444 secrets/*'], { cwd: dir });
    expect(setup.exitCode).toBe(0);
    const up = await compose(['up', '-d', '--build', '--wait', '--wait-timeout', '400'], false);
    if (up.exitCode !== 0) {
      const logs = await compose(['logs', '--no-color'], false);
      throw new Error(`compose up failed:\n${up.stderr.slice(-3000)}\n${String(logs.stdout).slice(-4000)}`);
    }
    const caPem = (await compose(['exec', '-T', 'proxy', 'cat', INTERNAL_CA_ROOT])).stdout;
    const door: FrontDoor = {
      address: '127.0.0.1',
      httpPort: Number(composeEnv.PROXY_HTTP_PORT),
      httpsPort: Number(composeEnv.PROXY_HTTPS_PORT),
      serverName: DOMAIN,
      caPem,
      healthPath: '/items/',
      expectHsts: true,
      appPort: 8000,
    };
    for (const step of FRONT_DOOR_STEPS) expect(await runFrontDoorCheck(door, step.check), step.name).toBeUndefined();
    // Django answers for the proxied name (ALLOWED_HOSTS has it), and only through the proxy
    const items = await httpsGet(door, '/items/');
    expect(items.status).toBe(200);
    const appId = (await compose(['ps', '-q', 'app'])).stdout.trim();
    const ports = JSON.parse((await execa('docker', ['inspect', '-f', '{{json .NetworkSettings.Ports}}', appId])).stdout) as Record<string, unknown>;
    expect(Object.values(ports).every((b) => b === null)).toBe(true);

    // --static-files proxy (the fixture has WhiteNoise, so the flag overrides detection): the page's
    // hashed stylesheet comes from Caddy's file server with its year-long cache header (WhiteNoise
    // would say max-age=315360000), and still does with the app stopped.
    const css = /href="(\/static\/inventory\/style\.[0-9a-f]{12}\.css)"/.exec(items.body)?.[1];
    expect(css, items.body.slice(0, 500)).toBeDefined();
    const hashed = await httpsGet(door, css!);
    expect(hashed.status).toBe(200);
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(hashed.body).toContain('{');
    const plain = await httpsGet(door, '/static/inventory/style.css');
    expect([plain.status, plain.headers['cache-control']]).toEqual([200, 'public, max-age=3600']);
    expect((await httpsGet(door, '/static/inventory/missing.css')).status).toBe(404);
    await compose(['stop', 'app']);
    const withoutApp = await httpsGet(door, css!);
    expect([withoutApp.status, withoutApp.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
  }, 25 * MINUTE);

  it('leaves nothing behind', async () => {
    await compose(['down', '-v', '--remove-orphans', '--rmi', 'local']);
    expect(await leftoversOf(PROJECT)).toEqual([]);
  }, 5 * MINUTE);
});
