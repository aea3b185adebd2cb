// `npm run bench:proxy`: what the front door (issue 22) costs. A FastAPI project generated with
// --proxy caddy, started with the stand-ins, then, side by side (interleaved, so drift hits both):
//   - the TLS handshake to the proxy (TCP connect to a verified session), median of --n;
//   - GET /health straight to the app container's address, and through the proxy over HTTPS, each
//     on one keep-alive connection (a browser's way), median of --n;
//   - the same through the proxy with keep-alive to the app turned back on (the first generated
//     config): uvicorn with several workers leaves Nagle on (Kludex/uvicorn#3149), so each reused
//     upstream connection waits on a delayed ACK; and direct with a new connection per request.
// Writes docs/benchmarks-proxy.json and docs/benchmarks-proxy.md. Run under the engine lock:
//   flock /tmp/engine.lock npm run bench:proxy [-- --n 100]
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { handshakeMs, type FrontDoor } from '../../generators/engine/front-door.js';
import { INTERNAL_CA_ROOT } from '../../generators/render/proxy/caddy.js';
import { freePort, log, median, run } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const cli = path.join(repo, 'bin/create-pyimage.js');
const DOMAIN = 'shop.internal';
const PROJECT = 'pyimage-bench-proxy';
const n = Number(process.argv[process.argv.indexOf('--n') + 1] ?? 100) || 100;

type Timer = () => Promise<number>;

/** The stand-ins test/e2e/infra/setup.sh recorded (test/e2e/engine.ts reads the same file, but imports vitest). */
async function standIns(): Promise<{ pythonImage: string; pythonVersion: string; caddyImage: string; indexUrl: string }> {
  const file = path.join(process.env.PYIMAGE_E2E_CACHE_DIR ?? '/var/cache/create-pyimage', 'e2e.env');
  const facts = Object.fromEntries((await readFile(file, 'utf8')).split('\n').map((l) => l.split(/=(.*)/s)).filter((kv) => kv.length > 1));
  const get = (key: string) => process.env[key] || facts[key] || '';
  return { pythonImage: get('PYIMAGE_E2E_PYTHON_IMAGE'), pythonVersion: get('PYIMAGE_E2E_PYTHON_VERSION'), caddyImage: get('PYIMAGE_E2E_CADDY_IMAGE'), indexUrl: get('PYIMAGE_E2E_INDEX_URL') };
}

function timed(start: (done: (status: number) => void, fail: (e: Error) => void) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    start((status) => (status === 200 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`HTTP ${status}`))), reject);
  });
}

function viaProxy(door: FrontDoor, agent: HttpsAgent): Timer {
  return () =>
    timed((done, fail) => {
      httpsRequest({ host: door.address, port: door.httpsPort, servername: DOMAIN, path: '/health', headers: { host: DOMAIN }, agent }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      }).on('error', fail).end();
    });
}

function direct(host: string, agent: HttpAgent | false): Timer {
  return () =>
    timed((done, fail) => {
      httpRequest({ host, port: 8000, path: '/health', agent }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      }).on('error', fail).end();
    });
}

/** Each timer n times, interleaved; one warm-up round first. Medians in ms. */
async function sideBySide(timers: Record<string, Timer>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(timers).map((k) => [k, []]));
  for (const t of Object.values(timers)) await t();
  for (let i = 0; i < n; i++) for (const [k, t] of Object.entries(timers)) samples[k]!.push(await t());
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Number(median(v).toFixed(2))]));
}

async function main(): Promise<void> {
  const e2e = await standIns();
  const work = await mkdtemp(path.join(os.tmpdir(), 'pyimage-bench-proxy-'));
  const dir = path.join(work, 'shop');
  await mkdir(dir);
  await writeFile(path.join(dir, 'requirements.txt'), 'fastapi\nuvicorn\n');
  await writeFile(path.join(dir, 'main.py'), 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/health")\ndef health():\n    return {"ok": True}\n');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CI: 'true',
    COMPOSE_PROJECT_NAME: PROJECT,
    PYTHON_IMAGE: e2e.pythonImage,
    PIP_INDEX_URL: e2e.indexUrl,
    PIP_FIND_LINKS: '',
    BUILD_NETWORK: 'host',
    CADDY_IMAGE: e2e.caddyImage,
    PROXY_HTTP_PORT: String(await freePort()),
    PROXY_HTTPS_PORT: String(await freePort()),
  };
  const compose = (args: string[]) => run('docker', ['compose', ...args], { cwd: dir, env, timeoutMs: 10 * 60_000 });
  try {
    await run('node', [cli, dir, '--yes', '--proxy', 'caddy', '--domain', DOMAIN, '--python', e2e.pythonVersion], { env });
    log('building and starting the proxied stack');
    await compose(['up', '-d', '--build', '--wait', '--wait-timeout', '300']);
    const caPem = (await compose(['exec', '-T', 'proxy', 'cat', INTERNAL_CA_ROOT])).output;
    const door: FrontDoor = { address: '127.0.0.1', httpPort: Number(env.PROXY_HTTP_PORT), httpsPort: Number(env.PROXY_HTTPS_PORT), serverName: DOMAIN, caPem, healthPath: '/health', expectHsts: true, appPort: 8000 };
    const appId = (await compose(['ps', '-q', 'app'])).output.trim();
    const appIp = (await run('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', appId])).output.trim().split(' ')[0]!;
    const handshakes: number[] = [];
    for (let i = 0; i < n; i++) handshakes.push(await handshakeMs(door));
    const agents = { proxy: new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: caPem }), app: new HttpAgent({ keepAlive: true, maxSockets: 1 }) };
    log(`measuring ${n} requests each, side by side`);
    const generated = await sideBySide({ direct: direct(appIp, agents.app), directNewConnection: direct(appIp, false), proxy: viaProxy(door, agents.proxy) });
    // The first generated config: keep-alive to the app (Caddy's default).
    const config = path.join(dir, 'proxy', 'caddy.json');
    const text = await readFile(config, 'utf8');
    await writeFile(config, JSON.stringify(JSON.parse(text), (key, value: unknown) => (key === 'keep_alive' ? { enabled: true } : value), 2));
    await compose(['restart', 'proxy']);
    await compose(['up', '-d', '--wait', 'proxy']);
    agents.proxy.destroy();
    agents.proxy = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: caPem });
    const upstreamKeepAlive = await sideBySide({ proxyUpstreamKeepAlive: viaProxy(door, agents.proxy) });
    await writeFile(config, text);
    for (const a of Object.values(agents)) a.destroy();
    const report = {
      date: new Date().toISOString(),
      requests: n,
      machine: `${os.cpus().length} CPUs, ${os.release()}`,
      stack: 'FastAPI on uvicorn 0.17 (WEB_CONCURRENCY=2) behind Caddy 2.6.2 (the Debian stand-in), same host, HTTP/1.1',
      medianMs: { tlsHandshake: Number(median(handshakes).toFixed(2)), ...generated, ...upstreamKeepAlive } as Record<string, number>,
    };
    const md = [
      '# The front door: what the proxy costs',
      '',
      `Generated by \`npm run bench:proxy\` on ${report.date.slice(0, 10)} (${report.machine}); ${report.stack}. Medians of ${n}, interleaved.`,
      '',
      '| Measure | Median (ms) |',
      '|---|---:|',
      `| TLS handshake to the proxy (connect to verified session) | ${report.medianMs.tlsHandshake} |`,
      `| GET /health direct to the app, one keep-alive connection | ${report.medianMs.direct} |`,
      `| GET /health direct to the app, a new connection each | ${report.medianMs.directNewConnection} |`,
      `| GET /health through the proxy (HTTPS, keep-alive client; no keep-alive to the app, as generated) | ${report.medianMs.proxy} |`,
      `| the same with keep-alive from the proxy to the app (the first generated config) | ${report.medianMs.proxyUpstreamKeepAlive} |`,
      '',
      'Reused connections to uvicorn with several workers wait ~40 ms each on a delayed ACK: its listener',
      'is created with `proto=0`, so asyncio never sets TCP_NODELAY on accepted sockets (Kludex/uvicorn#3149).',
      'A keep-alive client talking to the app directly pays it too; the proxy opens a new connection per request.',
      '',
    ].join('\n');
    await writeFile(path.join(repo, 'docs', 'benchmarks-proxy.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(repo, 'docs', 'benchmarks-proxy.md'), md);
    process.stdout.write(`${md}\n`);
  } finally {
    await run('docker', ['compose', 'down', '-v', '--remove-orphans', '--rmi', 'local'], { cwd: dir, env, allowFailure: true });
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
