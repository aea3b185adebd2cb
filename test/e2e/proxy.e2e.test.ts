/**
 * --proxy caddy on the real engine (issue 22): a FastAPI project generated with a domain, built and
 * started with `docker compose up --wait` on the stand-ins (Caddy: Debian's 2.6.2 through
 * CADDY_IMAGE), then every front-door check from the host with the certificate verified against
 * the internal CA root read from the proxy's volume; `smoke` and scripts/smoke-test.sh through the
 * front door; `smoke --swarm` with the proxy as the stack's ingress. Figures: npm run bench:proxy.
 *   flock /tmp/engine.lock npx vitest run test/e2e/proxy.e2e.test.ts
 */
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONT_DOOR_STEPS, handshakeMs, runFrontDoorCheck, type FrontDoor } from '../../generators/engine/front-door.js';
import { INTERNAL_CA_ROOT } from '../../generators/render/proxy/caddy.js';
import { ensureEngine, leftoversOf, requireBuiltCli, type E2EEnv } from './engine.js';
import { cli, MINUTE, workDir, freePort } from './harness.js';
import { cliPath } from '../helpers.js';

const PROJECT = 'create-pyimage-e2e-proxy';
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
  work = workDir('pyimage-proxy-');
  dir = join(work, 'shop');
  mkdirSync(dir);
  writeFileSync(join(dir, 'requirements.txt'), 'fastapi\nuvicorn\n');
  writeFileSync(join(dir, 'main.py'), 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/health")\ndef health():\n    return {"ok": True}\n\n\n@app.get("/big")\ndef big():\n    return {"text": "compress me " * 400}\n');
  composeEnv = {
    ...(process.env as Record<string, string>),
    PYTHON_IMAGE: env.pythonImage,
    PIP_INDEX_URL: env.indexUrl,
    PIP_FIND_LINKS: '',
    BUILD_NETWORK: 'host',
    CADDY_IMAGE: env.caddyImage,
    PROXY_HTTP_PORT: String(await freePort()),
    PROXY_HTTPS_PORT: String(await freePort()),
  };
}, 30 * MINUTE);

afterAll(async () => {
  if (dir) await compose(['down', '-v', '--remove-orphans', '--rmi', 'local'], false);
  if (work) rmSync(work, { recursive: true, force: true });
}, 5 * MINUTE);

describe('--proxy caddy, FastAPI', () => {
  it('generates a stack whose only published service is the proxy', async () => {
    const r = await cli(['--yes', '--proxy', 'caddy', '--domain', 'shop.internal', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
  }, 5 * MINUTE);

  it('comes up healthy and passes every front-door check', async () => {
    const up = await compose(['up', '-d', '--build', '--wait', '--wait-timeout', '300'], false);
    if (up.exitCode !== 0) {
      const logs = await compose(['logs', '--no-color'], false);
      throw new Error(`compose up failed:\n${up.stderr.slice(-3000)}\n${String(logs.stdout).slice(-4000)}`);
    }
    const caPem = (await compose(['exec', '-T', 'proxy', 'cat', INTERNAL_CA_ROOT])).stdout;
    expect(caPem).toContain('BEGIN CERTIFICATE');
    const door: FrontDoor = {
      address: '127.0.0.1',
      httpPort: Number(composeEnv.PROXY_HTTP_PORT),
      httpsPort: Number(composeEnv.PROXY_HTTPS_PORT),
      serverName: 'shop.internal',
      caPem,
      healthPath: '/health',
      expectHsts: true,
      appPort: 8000,
    };
    for (const step of FRONT_DOOR_STEPS) expect(await runFrontDoorCheck(door, step.check), step.name).toBeUndefined();
    // the app container publishes nothing; only the proxy has host bindings
    const bindings = async (svc: string) => JSON.parse((await execa('docker', ['inspect', '-f', '{{json .NetworkSettings.Ports}}', (await compose(['ps', '-q', svc])).stdout.trim()])).stdout) as Record<string, unknown>;
    expect(Object.values(await bindings('app')).every((b) => b === null)).toBe(true);
    expect(Object.entries(await bindings('proxy')).filter(([, b]) => b !== null).map(([k]) => k).sort()).toEqual(['443/tcp', '443/udp', '80/tcp']);
    expect((await compose(['exec', '-T', 'proxy', 'id', '-u'])).stdout.trim()).toBe('10080');
    const caps = (await compose(['exec', '-T', 'proxy', 'sh', '-c', 'grep CapEff /proc/1/status'])).stdout;
    expect(caps).toMatch(/CapEff:\s*0+$/m);
    await expect(compose(['exec', '-T', 'proxy', 'touch', '/etc/x'])).rejects.toThrow(/Read-only file system/);

    // the handshake completes against the verified CA (its time and the latency figures: npm run bench:proxy)
    expect(await handshakeMs(door)).toBeGreaterThan(0);
  }, 20 * MINUTE);

  it('`create-pyimage smoke` and scripts/smoke-test.sh probe through the front door, not the app port', async () => {
    await compose(['down', '-v', '--remove-orphans'], false);
    const smokeEnv = { ...composeEnv, PROXY_HTTP_PORT: '', PROXY_HTTPS_PORT: '' };
    const r = await execa('node', [cliPath, 'smoke', dir, '--json', '--base-image', env.pythonImage, '--proxy-image', env.caddyImage, '--pip-index-url', env.indexUrl, '--build-network', 'host'], { env: smokeEnv, reject: false, timeout: 20 * MINUTE });
    const result = JSON.parse(String(r.stdout)) as { success: boolean; message: string; steps: { name: string; ok: boolean; detail: string }[] };
    expect(result.steps.filter((s) => !s.ok), `${result.message}\n${String(r.stderr).slice(-3000)}`).toEqual([]);
    const names = result.steps.map((s) => s.name);
    for (const step of FRONT_DOOR_STEPS) expect(names, step.name).toContain(step.name);
    expect(names).not.toContain('health probe');
    expect(result.steps.find((s) => s.name === 'https through the proxy')!.detail).toMatch(/internal CA/);
    expect(r.exitCode).toBe(0);
    const script = await execa('bash', ['scripts/smoke-test.sh'], { cwd: dir, env: smokeEnv, reject: false, timeout: 20 * MINUTE });
    expect(script.exitCode, `${script.stdout}\n${script.stderr}`.slice(-4000)).toBe(0);
    expect(script.stderr + script.stdout).toMatch(/certificate verified against the internal CA/);
    expect(script.stderr + script.stdout).toMatch(/plain HTTP -> 308 https:\/\/shop\.internal\/health/);
  }, 40 * MINUTE);

  it('`create-pyimage smoke --swarm`: the proxy is the stack\'s ingress and passes every front-door check', async () => {
    // the Caddy stand-in comes from --proxy-image alone (CADDY_IMAGE unset)
    const smokeEnv = { ...composeEnv, PROXY_HTTP_PORT: '', PROXY_HTTPS_PORT: '', CADDY_IMAGE: '' };
    const r = await execa('node', [cliPath, 'smoke', '--swarm', dir, '--json', '--timeout', '120', '--base-image', env.pythonImage, '--proxy-image', env.caddyImage, '--pip-index-url', env.indexUrl, '--build-network', 'host'], { env: smokeEnv, reject: false, timeout: 10 * MINUTE });
    const result = JSON.parse(String(r.stdout)) as { success: boolean; message: string; steps: { name: string; ok: boolean; detail: string }[] };
    expect(result.steps.filter((s) => !s.ok), `${result.message}\n${String(r.stderr).slice(-3000)}`).toEqual([]);
    expect(result.steps.find((s) => s.name === 'deploy stack')!.detail).toMatch(/app, proxy-init, proxy; labelled this node shop\.proxy$/);
    expect(result.steps.find((s) => s.name === 'every service converged and healthy')!.detail).toMatch(/app 2\/2, proxy 1\/1, proxy-init 0\/1 \(1\/1 completed\)/);
    const probe = result.steps.find((s) => s.name === 'health probe')!.detail;
    expect(probe).toMatch(/^through the proxy at https:\/\/shop\.internal:\d+ .*certificate verified against the internal CA/);
    for (const step of FRONT_DOOR_STEPS) expect(probe).toContain(step.name);
    expect(r.exitCode).toBe(0);
  }, 10 * MINUTE);

  it('leaves nothing behind', async () => {
    await compose(['down', '-v', '--remove-orphans', '--rmi', 'local']);
    expect(await leftoversOf(PROJECT)).toEqual([]);
  }, 5 * MINUTE);
});
