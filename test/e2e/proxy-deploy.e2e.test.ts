/**
 * Zero-downtime updates on one host (issue 22): a FastAPI project generated with --proxy caddy,
 * started with scripts/up.sh, then a code change rolled out with scripts/deploy.sh while the host
 * polls the health path through the proxy (HTTPS, certificate verified against the internal CA,
 * one keep-alive connection like a browser's). Every poll during the rollout must answer 200, both
 * versions must have answered, and the longest gap between answers is reported (as the Swarm
 * rolling update measures it). A new image that never turns healthy is removed and the old
 * container keeps serving.
 *   flock /tmp/engine.lock npx vitest run test/e2e/proxy-deploy.e2e.test.ts
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_CA_ROOT } from '../../generators/render/proxy/caddy.js';
import { ensureEngine, leftoversOf, requireBuiltCli, type E2EEnv } from './engine.js';
import { cleanEnv, cli, MINUTE, workDir, freePort } from './harness.js';

const PROJECT = 'create-pyimage-e2e-proxyroll';
const DOMAIN = 'shop.internal';
let env: E2EEnv;
let work: string;
let dir: string;
let composeEnv: Record<string, string>;


async function compose(args: string[], reject = true) {
  return execa('docker', ['compose', ...args], { cwd: dir, env: composeEnv, reject, timeout: 10 * MINUTE });
}

function script(name: string, args: string[] = []) {
  return execa('bash', [join(dir, 'scripts', name), ...args], { cwd: dir, env: composeEnv, reject: false, stdin: 'ignore', timeout: 10 * MINUTE });
}

interface Poll {
  ok: number;
  failed: number;
  maxGapMs: number;
  /** When the longest gap ended (performance.now()). */
  gapEndedAt: number;
  bodies: Record<string, number>;
  errors: Record<string, number>;
}

/** GETs the health path through the proxy back to back until stop() is called. */
function startPolling(caPem: string, port: number): { stop: () => Promise<Poll> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: caPem });
  const poll: Poll = { ok: 0, failed: 0, maxGapMs: 0, gapEndedAt: 0, bodies: {}, errors: {} };
  let running = true;
  let lastOk: number | undefined;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, servername: DOMAIN, path: '/health', headers: { host: DOMAIN }, agent, timeout: 15_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          if (res.statusCode === 200) {
            const t = performance.now();
            if (lastOk !== undefined && t - lastOk > poll.maxGapMs) {
              poll.maxGapMs = t - lastOk;
              poll.gapEndedAt = t;
            }
            lastOk = t;
            poll.ok++;
            poll.bodies[body] = (poll.bodies[body] ?? 0) + 1;
          } else {
            poll.failed++;
            poll.errors[`HTTP ${res.statusCode}`] = (poll.errors[`HTTP ${res.statusCode}`] ?? 0) + 1;
          }
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        poll.failed++;
        poll.errors[e.message] = (poll.errors[e.message] ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  const loop = (async () => {
    while (running) {
      await once();
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
      return poll;
    },
  };
}

beforeAll(async () => {
  requireBuiltCli();
  env = await ensureEngine();
  work = workDir('pyimage-proxyroll-');
  dir = join(work, 'shop');
  mkdirSync(dir);
  writeFileSync(join(dir, 'requirements.txt'), 'fastapi\nuvicorn\n');
  writeFileSync(join(dir, 'main.py'), 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/health")\ndef health():\n    return {"release": 1}\n');
  composeEnv = {
    ...(process.env as Record<string, string>),
    ...cleanEnv,
    COMPOSE_PROJECT_NAME: PROJECT,
    PYTHON_IMAGE: env.pythonImage,
    PIP_INDEX_URL: env.indexUrl,
    BUILD_NETWORK: 'host',
    CADDY_IMAGE: env.caddyImage,
    PROXY_HTTP_PORT: String(await freePort()),
    PROXY_HTTPS_PORT: String(await freePort()),
  };
}, 10 * MINUTE);

afterAll(async () => {
  if (dir) await compose(['down', '-v', '--remove-orphans', '--rmi', 'local'], false);
  if (work) rmSync(work, { recursive: true, force: true });
}, 5 * MINUTE);

describe('scripts/deploy.sh behind the proxy', () => {
  it('rolls a code change out with no failed request through the proxy', async () => {
    const gen = await cli([dir, '--yes', '--proxy', 'caddy', '--domain', DOMAIN, '--python', env.pythonVersion]);
    expect(gen.exitCode, String(gen.stderr)).toBe(0);
    const up = await script('up.sh');
    expect(up.exitCode, String(up.stderr).slice(-3000)).toBe(0);
    expect(String(up.stderr)).toMatch(new RegExp(`up: https://${DOMAIN}:${composeEnv.PROXY_HTTPS_PORT}/health through the proxy`));
    const caPem = String((await compose(['exec', '-T', 'proxy', 'cat', INTERNAL_CA_ROOT])).stdout);
    const oldIds = String((await compose(['ps', '-q', 'app'])).stdout).trim().split('\n');
    expect(oldIds).toHaveLength(1);

    writeFileSync(join(dir, 'main.py'), readFileSync(join(dir, 'main.py'), 'utf8').replace('{"release": 1}', '{"release": 2}'));
    const poller = startPolling(caPem, Number(composeEnv.PROXY_HTTPS_PORT));
    await new Promise((r) => setTimeout(r, 1_000));
    const started = performance.now();
    const deploy = await script('deploy.sh');
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1_000));
    const poll = await poller.stop();
    const gapEndedS = Number(((poll.gapEndedAt - started) / 1000).toFixed(2));
    const figures = { rolloutSeconds: Number(seconds.toFixed(1)), polls: poll.ok + poll.failed, failed: poll.failed, maxGapMs: Math.round(poll.maxGapMs), gapEndedSecondsIntoDeploy: gapEndedS, bodies: poll.bodies, errors: poll.errors };
    process.stderr.write(`[deploy.sh rollout] ${JSON.stringify(figures)}\n`);
    expect(deploy.exitCode, String(deploy.stderr).slice(-3000)).toBe(0);
    expect(String(deploy.stderr)).toMatch(/starting 1 new app container\(s\) beside the 1 running/);
    expect(poll.failed, JSON.stringify(figures)).toBe(0);
    expect(poll.ok, 'at least 300 polls during the rollout').toBeGreaterThanOrEqual(300);
    expect(poll.bodies['{"release":1}'], 'the old version answered').toBeGreaterThan(0);
    expect(poll.bodies['{"release":2}'], 'the new version answered').toBeGreaterThan(0);
    // one app container is left, the new one; the old one is gone
    const ids = String((await compose(['ps', '-q', 'app'])).stdout).trim().split('\n');
    expect(ids).toHaveLength(1);
    expect(ids).not.toContain(oldIds[0]);
  }, 10 * MINUTE);

  it('a new image that never turns healthy is removed; the running one keeps serving', async () => {
    writeFileSync(join(dir, 'main.py'), readFileSync(join(dir, 'main.py'), 'utf8').replace('{"release": 2}', '{"release": 3}').replace('app = FastAPI()', 'raise SystemExit("broken release")\napp = FastAPI()'));
    const before = String((await compose(['ps', '-q', 'app'])).stdout).trim();
    const caPem = String((await compose(['exec', '-T', 'proxy', 'cat', INTERNAL_CA_ROOT])).stdout);
    const poller = startPolling(caPem, Number(composeEnv.PROXY_HTTPS_PORT));
    const deploy = await script('deploy.sh', ['--timeout', '20']);
    const poll = await poller.stop();
    expect(deploy.exitCode).toBe(1);
    expect(String(deploy.stderr)).toMatch(/did not become healthy within 20s: removing them, the old ones keep serving/);
    expect(String(deploy.stderr)).toMatch(/deploy failed; shop:0\.1\.0 is the running image again/);
    const running = String((await execa('docker', ['inspect', '-f', '{{.Image}}', before])).stdout).trim();
    expect(String((await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', 'shop:0.1.0'])).stdout).trim(), 'the tag points at the running image again').toBe(running);
    expect(String((await compose(['ps', '-q', 'app'])).stdout).trim()).toBe(before);
    expect(poll.failed, JSON.stringify(poll)).toBe(0);
    expect(Object.keys(poll.bodies)).toEqual(['{"release":2}']);
  }, 5 * MINUTE);

  it('scripts/up.sh again on the same proxy volume: proxy-init leaves the certificates as they are', async () => {
    const running = String((await compose(['ps', '-q', 'app'])).stdout).trim();
    const again = await script('up.sh', ['--no-build']);
    // the failed release's image is not what up.sh starts: the running container stays
    expect(String((await compose(['ps', '-q', 'app'])).stdout).trim()).toBe(running);
    expect(again.exitCode, String(again.stderr).slice(-3000)).toBe(0);
    const init = await execa('docker', ['inspect', '-f', '{{.State.ExitCode}}', `${PROJECT}-proxy-init-1`], { reject: false });
    expect(String(init.stdout).trim()).toBe('0');
  }, 5 * MINUTE);

  it('leaves nothing behind', async () => {
    await compose(['down', '-v', '--remove-orphans', '--rmi', 'local']);
    expect(await leftoversOf(PROJECT)).toEqual([]);
  }, 5 * MINUTE);
});
