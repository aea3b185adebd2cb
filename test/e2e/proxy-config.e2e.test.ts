/**
 * The rendered Caddy JSON on the Caddy stand-in (Debian's caddy 2.6.2): `caddy validate` accepts
 * every shape of the model, and a proxy run under the generated stack's hardening (non-root, no
 * capabilities, read-only root, certificates in a named volume) passes every front-door check
 * against a real upstream. Run under the engine lock:
 *   flock /tmp/engine.lock npx vitest run test/e2e/proxy-config.e2e.test.ts
 */
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONT_DOOR_STEPS, httpsGet, runFrontDoorCheck, type FrontDoor } from '../../generators/engine/front-door.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUTS, INTERNAL_CA_ROOT, renderCaddyJson, type ProxyModel } from '../../generators/render/proxy/caddy.js';
import { ensureEngine, type E2EEnv } from './engine.js';

const PREFIX = 'create-pyimage-e2e-proxycfg';
const NET = `${PREFIX}-net`;
const VOLUME = `${PREFIX}-data`;
const MINUTE = 60_000;

function model(over: Partial<ProxyModel> = {}): ProxyModel {
  return { domains: [], upstream: { host: 'app', port: 8000 }, healthPath: '/health', staticFiles: null, maxBodyBytes: DEFAULT_MAX_BODY_BYTES, timeouts: DEFAULT_TIMEOUTS, ...over };
}

let env: E2EEnv;
let work: string;

async function docker(args: string[], reject = true) {
  return execa('docker', args, { reject, timeout: 2 * MINUTE });
}

async function cleanup(): Promise<void> {
  await docker(['rm', '-f', `${PREFIX}-proxy`, `${PREFIX}-app`], false);
  await docker(['volume', 'rm', '-f', VOLUME], false);
  await docker(['network', 'rm', NET], false);
}

function configFile(name: string, m: ProxyModel): string {
  const file = join(work, name);
  writeFileSync(file, renderCaddyJson(m));
  chmodSync(file, 0o644);
  return file;
}

beforeAll(async () => {
  env = await ensureEngine();
  work = mkdtempSync(join(tmpdir(), 'pyimage-proxycfg-'));
  await cleanup();
}, 30 * MINUTE);

afterAll(async () => {
  await cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('caddy validate', () => {
  const shapes: Array<[string, ProxyModel]> = [
    ['no domain', model()],
    ['localhost and an IP', model({ domains: ['localhost', '127.0.0.1'] })],
    ['a public domain with an ACME e-mail', model({ domains: ['shop.example.com', 'www.shop.example.com'], acmeEmail: 'ops@example.com' })],
    ['public and internal names, static files', model({ domains: ['example.org', 'app.internal'], staticFiles: { urlPrefix: '/static/' } })],
  ];
  it.each(shapes)('%s', async (label, m) => {
    const file = configFile(`${label.replace(/\W+/g, '-')}.json`, m);
    const r = await docker(['run', '--rm', '--network', 'none', '-v', `${file}:/etc/caddy/caddy.json:ro`, env.caddyImage, 'caddy', 'validate', '--config', '/etc/caddy/caddy.json'], false);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('Valid configuration');
  }, 2 * MINUTE);
});

describe('a hardened proxy in front of a real upstream', () => {
  it('passes every front-door check with the certificate verified against the internal CA from the volume', async () => {
    const site = join(work, 'site');
    const fileOf = (name: string, text: string) => writeFileSync(join(site, name), text);
    await execa('mkdir', ['-p', site]);
    fileOf('health', 'ok\n');
    fileOf('big.txt', 'compress me '.repeat(400));
    await execa('chmod', ['-R', 'a+rX', site]);
    const file = configFile('live.json', model({ domains: ['shop.internal'] }));
    await docker(['network', 'create', NET]);
    await docker(['volume', 'create', VOLUME]);
    await docker(['run', '-d', '--name', `${PREFIX}-app`, '--network', NET, '--network-alias', 'app', '--user', '10001:10001', '--read-only', '--cap-drop', 'ALL',
      '-v', `${site}:/srv:ro`, '-w', '/srv', env.pythonImage, 'python3', '-m', 'http.server', '8000']);
    // the volume handed to the proxy's user, as the generated stack's one-shot service does
    await docker(['run', '--rm', '--user', '0:0', '--cap-drop', 'ALL', '--cap-add', 'CHOWN', '--network', 'none', '-v', `${VOLUME}:/data`, env.caddyImage, 'chown', '-R', '10001:10001', '/data']);
    await docker(['run', '-d', '--name', `${PREFIX}-proxy`, '--network', NET, '--user', '10001:10001', '--read-only', '--cap-drop', 'ALL',
      '--security-opt', 'no-new-privileges:true', '--tmpfs', '/config:uid=10001,gid=10001,mode=0700', '--tmpfs', '/tmp',
      '-v', `${VOLUME}:/data`, '-v', `${file}:/etc/caddy/caddy.json:ro`,
      '-p', '127.0.0.1::443', '-p', '127.0.0.1::80', env.caddyImage, 'caddy', 'run', '--config', '/etc/caddy/caddy.json']);
    const port = async (p: number) => Number((await docker(['port', `${PREFIX}-proxy`, `${p}/tcp`])).stdout.split('\n')[0]!.split(':').pop());
    let caPem = '';
    for (let i = 0; i < 40 && !caPem.includes('BEGIN CERTIFICATE'); i++) {
      caPem = String((await docker(['exec', `${PREFIX}-proxy`, 'cat', INTERNAL_CA_ROOT], false)).stdout ?? '');
      if (!caPem.includes('BEGIN CERTIFICATE')) await new Promise((r) => setTimeout(r, 250));
    }
    expect(caPem).toContain('BEGIN CERTIFICATE');
    const door: FrontDoor = { address: '127.0.0.1', httpsPort: await port(443), httpPort: await port(80), serverName: 'shop.internal', caPem, healthPath: '/health', expectHsts: true, appPort: 8000 };
    for (const step of FRONT_DOOR_STEPS) {
      expect(await runFrontDoorCheck(door, step.check), step.name).toBeUndefined();
    }
    const health = await docker(['exec', `${PREFIX}-proxy`, 'wget', '-q', '-O', '-', 'http://127.0.0.1:2080/']);
    expect(health.stdout).toBe('ok');
    expect((await docker(['exec', `${PREFIX}-proxy`, 'id', '-u'])).stdout).toBe('10001');
    // compression, and a name the proxy does not serve
    const big = await httpsGet(door, '/big.txt', { 'accept-encoding': 'gzip' });
    expect(big.headers['content-encoding']).toBe('gzip');
    const other = await httpsGet({ ...door }, '/health', { host: 'elsewhere.internal' });
    expect(other.status).toBe(421);
    // a certificate from another CA is refused: the check does verify
    const stranger = (await docker(['run', '--rm', '--entrypoint', 'cat', env.pythonImage, '/etc/ssl/certs/ca-certificates.crt'])).stdout;
    await expect(httpsGet({ ...door, caPem: stranger }, '/health')).rejects.toThrow(/certificate/i);
  }, 5 * MINUTE);
});
