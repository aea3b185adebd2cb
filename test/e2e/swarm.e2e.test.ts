/**
 * Real engine, real single-node swarm: `smoke --swarm` deploys the generated stack file for the
 * FastAPI example and the Flask + Postgres + worker + migration fixture, and removes everything
 * again; then scripts/deploy-swarm.sh deploys the Flask stack and rolls out a code change while a
 * poller inside the stack's network measures how long /health went unanswered.
 *
 * These hosts' kernels have no IPVS, so the routing mesh (published ports, virtual IPs) cannot
 * answer here: smoke publishes the app in host mode for its probe, and the poller resolves
 * `tasks.app` (DNS round robin needs no IPVS) and tries each task, as a proxy in front would.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';
import type { SmokeResult } from '../../generators/engine/smoke.js';
import { ensureEngine, removeImage, requireBuiltCli, type E2EEnv } from './engine.js';

const MINUTE = 60_000;
let e2e: E2EEnv;
const work = mkdtempSync(join(tmpdir(), 'pyimage-swarm-e2e-'));
const builtImages = new Set<string>();
const figures: string[] = [];
/** The host's own pip settings must not leak into the builds. */
const cleanEnv = { CI: 'true', PIP_INDEX_URL: '', PIP_FIND_LINKS: '', PYTHON_IMAGE: '', POSTGRES_IMAGE: '', BUILD_NETWORK: '' };
let swarmBefore = '';
let gatewayBefore = false;

async function docker(args: string[], timeout = MINUTE) {
  return execa('docker', args, { reject: false, timeout, stdin: 'ignore' });
}

async function swarmState(): Promise<string> {
  return String((await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout).trim();
}

async function hasGateway(): Promise<boolean> {
  return (await docker(['network', 'inspect', 'docker_gwbridge'])).exitCode === 0;
}

/** Anything named after the stack: services, containers, secrets, configs, networks, volumes. */
async function swarmLeftovers(stack: string): Promise<string[]> {
  const kinds: [string, string[]][] = [
    ['service', ['service', 'ls', '--format', '{{.Name}}']],
    ['container', ['ps', '--all', '--format', '{{.Names}}']],
    ['secret', ['secret', 'ls', '--format', '{{.Name}}']],
    ['config', ['config', 'ls', '--format', '{{.Name}}']],
    ['network', ['network', 'ls', '--format', '{{.Name}}']],
    ['volume', ['volume', 'ls', '--format', '{{.Name}}']],
  ];
  const left: string[] = [];
  for (const [kind, args] of kinds) {
    const r = await docker(args);
    // Outside swarm mode `service/secret/config ls` fail: then there are none.
    if (r.exitCode !== 0) continue;
    for (const name of String(r.stdout).split('\n').map((l) => l.trim())) {
      if (name.startsWith(`${stack}_`) || name.startsWith(`${stack}.`) || name === stack) left.push(`${kind} ${name}`);
    }
  }
  return left;
}

function fromFixture(source: string, name: string): string {
  const dir = join(work, name);
  cpSync(join(repoRoot, source), dir, { recursive: true });
  return dir;
}

async function cli(args: string[], timeout = 20 * MINUTE) {
  return execa('node', [cliPath, ...args], { cwd: repoRoot, env: cleanEnv, reject: false, stdin: 'ignore', timeout });
}

async function generate(dir: string, name: string, flags: string[]): Promise<void> {
  const r = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, ...flags], 2 * MINUTE);
  expect(r.exitCode, r.stderr).toBe(0);
}

function overrides(withPostgres: boolean): string[] {
  return ['--base-image', e2e.pythonImage, ...(withPostgres ? ['--postgres-image', e2e.postgresImage] : []), '--pip-index-url', e2e.indexUrl, '--build-network', 'host'];
}

async function smokeSwarm(caseName: string, dir: string, withPostgres: boolean): Promise<SmokeResult> {
  const started = performance.now();
  const r = await cli(['smoke', dir, '--swarm', '--json', ...overrides(withPostgres)]);
  let result: SmokeResult;
  try {
    result = JSON.parse(String(r.stdout)) as SmokeResult;
  } catch {
    throw new Error(`stdout is not one JSON object:\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
  if (result.tag) builtImages.add(result.tag);
  figures.push(`${caseName}: smoke --swarm ${Math.round((performance.now() - started) / 1000)}s wall (${result.steps.map((s) => `${s.name} ${s.seconds}s`).join(', ')})`);
  const failed = result.steps.filter((s) => !s.ok);
  expect(failed, `${result.message}\n${r.stderr}`).toEqual([]);
  expect(result.success).toBe(true);
  expect(r.exitCode).toBe(0);
  expect(result.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
  return result;
}

function detail(result: SmokeResult, name: string): string {
  const found = result.steps.find((s) => s.name === name);
  expect(found, `step "${name}"`).toBeDefined();
  return found!.detail;
}

/** The engine is as the test found it: swarm mode and the swarm's gateway bridge alike. */
async function expectEngineAsFound(): Promise<void> {
  expect(await swarmState()).toBe(swarmBefore);
  expect(await hasGateway()).toBe(gatewayBefore);
}

beforeAll(async () => {
  e2e = await ensureEngine();
  requireBuiltCli();
  swarmBefore = await swarmState();
  gatewayBefore = await hasGateway();
  // Other sessions share this engine: these tests make their own single-node swarm and leave it.
  expect(swarmBefore, 'the engine must not be in swarm mode before these tests (leave it: docker swarm leave --force)').toBe('inactive');
}, 35 * MINUTE);

afterAll(async () => {
  for (const image of builtImages) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
  if (figures.length > 0) console.log(`\nreal single-node swarm:\n  ${figures.join('\n  ')}\n`);
}, 5 * MINUTE);

describe('smoke --swarm on a real single-node swarm', () => {
  it('(a) FastAPI: makes a swarm, deploys, probes, removes the stack and leaves the swarm', async () => {
    const dir = fromFixture('examples/fastapi-hello', 'fastapi');
    await generate(dir, 'e2e-swarm-fastapi', ['--framework', 'fastapi']);
    const result = await smokeSwarm('(a) fastapi', dir, false);
    expect(result.steps.map((s) => s.name)).toEqual([
      'docker daemon reachable',
      'compose v2',
      'buildx',
      'swarm ready',
      'build images',
      'pip index not in image',
      'deploy stack',
      'every service converged and healthy',
      'health probe',
      'app runs as non-root',
      'teardown',
    ]);
    expect(result.project).toMatch(/^e2e-swarm-fastapi-smoke-[0-9a-f]{6}$/);
    expect(detail(result, 'swarm ready')).toMatch(/^created a single-node swarm/);
    expect(detail(result, 'every service converged and healthy')).toMatch(/^app 2\/2: every replica running healthy$/);
    expect(detail(result, 'health probe')).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/health \(.*\) -> 200 \{"status":"ok"\}/);
    expect(detail(result, 'app runs as non-root')).toMatch(/^UID [1-9]\d*$/);
    expect(detail(result, 'teardown')).toMatch(/left the single-node swarm it created/);
    await expectEngineAsFound();
    expect(await swarmLeftovers(result.project)).toEqual([]);
  }, 20 * MINUTE);

  it('(b) Flask + Postgres + worker + alembic: the migration job, worker, database and secret, then nothing left', async () => {
    const dir = fromFixture('test/fixtures/e2e-flask-postgres', 'flask-postgres');
    await generate(dir, 'e2e-swarm-flask', [
      '--framework', 'flask', '--postgres', '--postgres-version', e2e.postgresVersion, '--libpq',
      '--worker', 'python -m app.worker', '--migrations', 'alembic',
    ]);
    const result = await smokeSwarm('(b) flask + postgres + worker + migration', dir, true);
    expect(result.steps.map((s) => s.name)).toEqual([
      'docker daemon reachable', 'compose v2', 'buildx', 'swarm ready', 'build images', 'pip index not in image', 'deploy stack',
      'every service converged and healthy', 'health probe', 'app runs as non-root', 'migration exited 0', 'worker running', 'database answers', 'teardown',
    ]);
    expect(detail(result, 'deploy stack')).toMatch(/app, worker, migrate, db; labelled this node e2e-swarm-flask\.db$/);
    expect(detail(result, 'every service converged and healthy')).toMatch(/app 2\/2, db 1\/1, migrate 0\/1 \(1\/1 completed\), worker 1\/1/);
    expect(detail(result, 'migration exited 0')).toMatch(/Running upgrade\s+-> 0001/);
    // /health answers 200 only after reading the row the migration job inserted.
    expect(detail(result, 'health probe')).toContain('hello from the alembic migration');
    expect(detail(result, 'database answers')).toMatch(/select 1 -> 1/);
    await expectEngineAsFound();
    expect(await swarmLeftovers(result.project)).toEqual([]);
  }, 25 * MINUTE);
});

/** Resolves tasks.app each time and tries every task: the longest time without a 2xx answer. */
const POLLER = `
import json, socket, sys, time, urllib.request
port, path, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
start = time.time(); last_ok = None; max_gap = 0.0; ok_n = fail_n = 0; bodies = {}; report_at = 0.0
while time.time() - start < seconds:
    ok = False
    try:
        ips = sorted({a[4][0] for a in socket.getaddrinfo('tasks.app', port, proto=socket.IPPROTO_TCP)})
    except OSError:
        ips = []
    for ip in ips:
        try:
            with urllib.request.urlopen(f'http://{ip}:{port}{path}', timeout=1) as res:
                if 200 <= res.status < 300:
                    body = res.read().decode()[:300]; bodies[body] = bodies.get(body, 0) + 1; ok = True; break
        except Exception:
            pass
    now = time.time()
    if ok:
        if last_ok is not None: max_gap = max(max_gap, now - last_ok)
        last_ok = now; ok_n += 1
    elif last_ok is not None:
        fail_n += 1
    if now >= report_at:
        print(json.dumps({'t': round(now - start, 1), 'ok': ok_n, 'failed': fail_n, 'max_gap': round(max_gap, 3), 'bodies': bodies}), flush=True)
        report_at = now + 1
    time.sleep(0.1)
`;

interface PollReport {
  t: number;
  ok: number;
  failed: number;
  max_gap: number;
  bodies: Record<string, number>;
}

async function lastPoll(poller: string): Promise<PollReport | undefined> {
  const logs = await docker(['service', 'logs', '--raw', poller]);
  const lines = String(logs.stdout).split('\n').filter((l) => l.startsWith('{'));
  return lines.length > 0 ? (JSON.parse(lines[lines.length - 1]!) as PollReport) : undefined;
}

describe('scripts/deploy-swarm.sh and a rolling update', () => {
  it('deploys the Flask stack, rolls out a code change start-first with /health answering throughout, re-runs the migration job', async () => {
    const dir = join(work, 'flask-postgres');
    expect(existsSync(join(dir, 'scripts', 'deploy-swarm.sh')), 'case (b) generated it').toBe(true);
    const stack = `e2e-roll-${randomBytes(3).toString('hex')}`;
    const poller = `${stack}-poller`;
    const env = {
      ...cleanEnv,
      APP_PORT: '0',
      PYTHON_IMAGE: e2e.pythonImage,
      POSTGRES_IMAGE: e2e.postgresImage,
      PIP_INDEX_URL: e2e.indexUrl,
      BUILD_NETWORK: 'host',
    };
    const deploy = (version: string) =>
      execa('bash', [join(dir, 'scripts', 'deploy-swarm.sh'), '--stack', stack, '--timeout', '300'], {
        cwd: dir, env: { ...env, APP_VERSION: version }, reject: false, stdin: 'ignore', timeout: 15 * MINUTE,
      });
    builtImages.add('e2e-swarm-flask:0.1.0');
    builtImages.add('e2e-swarm-flask:0.2.0');
    const init = await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    expect(init.exitCode, String(init.stderr)).toBe(0);
    try {
      let started = performance.now();
      const first = await deploy('0.1.0');
      expect(first.exitCode, String(first.stderr)).toBe(0);
      expect(String(first.stderr)).toMatch(/deployed: http:\/\/127\.0\.0\.1:\d+\/health/);
      expect(String(first.stderr)).toMatch(/labelled this node e2e-swarm-flask\.db=true/);
      figures.push(`deploy-swarm.sh first deploy (build + deploy + converge): ${Math.round((performance.now() - started) / 1000)}s`);

      const script = join(work, 'poller.py');
      writeFileSync(script, POLLER);
      const create = await docker([
        'service', 'create', '--detach', '--quiet', '--name', poller, '--network', `${stack}_frontend`, '--restart-condition', 'none',
        '--mount', `type=bind,source=${script},target=/poller.py,readonly`, e2e.pythonImage, 'python3', '/poller.py', '8000', '/health', '600',
      ]);
      expect(create.exitCode, String(create.stderr)).toBe(0);
      const ready = Date.now() + 2 * MINUTE;
      while (((await lastPoll(poller))?.ok ?? 0) < 20 && Date.now() < ready) await new Promise((r) => setTimeout(r, 1_000));
      expect((await lastPoll(poller))?.ok ?? 0, 'the poller reaches the app').toBeGreaterThanOrEqual(20);

      // A code change: a new field in the health answer, a new image tag, the same deploy again.
      const appFile = join(dir, 'app', '__init__.py');
      const code = readFileSync(appFile, 'utf8');
      expect(code).toContain('jsonify(status="ok", greeting=greeting)');
      writeFileSync(appFile, code.replace('jsonify(status="ok", greeting=greeting)', 'jsonify(status="ok", greeting=greeting, release="2")'));
      started = performance.now();
      const second = await deploy('0.2.0');
      expect(second.exitCode, String(second.stderr)).toBe(0);
      const rollout = Math.round((performance.now() - started) / 1000);
      await new Promise((r) => setTimeout(r, 3_000));
      const poll = (await lastPoll(poller))!;
      const bodies = Object.entries(poll.bodies);
      figures.push(
        `rolling update (build 0.2.0 + stack deploy + converge): ${rollout}s; /health polled ${poll.ok} times over ${poll.t}s, ` +
          `${poll.failed} unanswered polls, longest gap between answers ${poll.max_gap}s`,
      );
      expect(poll.failed, JSON.stringify(poll)).toBe(0);
      expect(poll.max_gap, JSON.stringify(poll)).toBeLessThan(2);
      expect(bodies.some(([b]) => !b.includes('"release"')), 'the old version answered').toBe(true);
      expect(bodies.some(([b]) => b.includes('"release":"2"')), 'the new version answered').toBe(true);

      const image = await docker(['service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}} {{.UpdateStatus.State}}', `${stack}_app`]);
      expect(String(image.stdout).trim()).toMatch(/^e2e-swarm-flask:0\.2\.0 completed$/);
      const job = await docker(['service', 'ps', '--format', '{{.Image}} {{.CurrentState}}', `${stack}_migrate`]);
      expect(String(job.stdout)).toMatch(/e2e-swarm-flask:0\.2\.0 Complete/);

      // Swarm stops an unhealthy task with SIGTERM and gunicorn then exits 0: the stack's restart
      // policy must replace such a task (on-failure never did, and the app stayed at 0/2).
      const tasks = await docker(['ps', '--filter', `label=com.docker.swarm.service.name=${stack}_app`, '--format', '{{.ID}} {{.Label "com.docker.swarm.task.id"}}']);
      const [victim, victimTask] = String(tasks.stdout).trim().split('\n')[0]!.split(' ');
      expect(victimTask, String(tasks.stdout)).toBeTruthy();
      expect((await docker(['kill', '--signal', 'TERM', victim!])).exitCode).toBe(0);
      expect(String((await docker(['wait', victim!])).stdout).trim(), 'gunicorn exits 0 on SIGTERM').toBe('0');
      const replaced = Date.now() + 2 * MINUTE;
      let running: string[] = [];
      while (Date.now() < replaced) {
        const ps = await docker(['service', 'ps', '--filter', 'desired-state=running', '--no-trunc', '--format', '{{.ID}} {{.CurrentState}}', `${stack}_app`]);
        running = String(ps.stdout).split('\n').filter((l) => l.includes(' Running '));
        if (running.length === 2 && !running.some((l) => l.startsWith(`${victimTask} `))) break;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(running.filter((l) => !l.startsWith(`${victimTask} `)), 'a task that exited 0 was replaced').toHaveLength(2);
    } finally {
      await docker(['service', 'rm', poller]);
      await docker(['stack', 'rm', stack]);
      const deadline = Date.now() + 3 * MINUTE;
      while ((await swarmLeftovers(stack)).some((l) => !l.startsWith('volume ')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1_000));
      await docker(['volume', 'rm', `${stack}_db-data`]);
      await docker(['swarm', 'leave', '--force']);
      if (!gatewayBefore) await docker(['network', 'rm', 'docker_gwbridge']);
    }
    expect(await swarmLeftovers(stack)).toEqual([]);
    await expectEngineAsFound();
  }, 30 * MINUTE);
});
