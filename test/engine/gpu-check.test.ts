/**
 * The render-node check's verdicts: what a user reads when the GPU step passes or fails, for each
 * way the permission can be wrong. The real probe runs on the real engine in test/e2e.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuDecision } from '../../generators/engine/smoke.js';
import {
  checkRenderAccess,
  hostRenderNodes,
  judgeRenderProbe,
  parseRenderProbe,
  RENDER_PROBE,
  type RenderProbe,
} from '../../generators/engine/gpu-check.js';
import type { RunResult } from '../../generators/engine/docker.js';
import { answersFor } from '../../generators/render/matrix.js';
import { tempDir } from '../helpers.js';

const NODE = '/dev/dri/renderD128';
const probe = (groups: number[], node: Partial<RenderProbe['nodes'][number]> = {}): RenderProbe => ({
  uid: 10001,
  groups,
  nodes: [{ path: NODE, gid: 4711, mode: 0o660, error: '', ...node }],
});
const ran = (stdout: string, ok = true): RunResult => ({ ok, exitCode: ok ? 0 : 1, stdout, stderr: '', all: stdout, stopped: false });

describe('judging what the probe saw', () => {
  it('passes naming the node, the UID and the group it got in through', () => {
    const r = judgeRenderProbe('app', probe([10001, 4711]), '4711', [NODE]);
    expect(r).toEqual({ ok: true, detail: 'app: /dev/dri/renderD128 opened read-write as UID 10001 through GID 4711 (RENDER_GID=4711)' });
  });

  it('a wrong RENDER_GID: names the node, both GIDs and getent group render', () => {
    const r = judgeRenderProbe('app', probe([10001, 4712], { error: 'EACCES' }), '4712', [NODE]);
    expect(r.ok).toBe(false);
    expect(r.detail).toBe(
      'app (UID 10001, groups 10001,4712) cannot open /dev/dri/renderD128 read-write (EACCES): the node belongs to GID 4711, but RENDER_GID is 4712. ' +
        "Fix: set RENDER_GID to the host's render group, `getent group render | cut -d: -f3` (here 4711), or leave it unset so scripts/up.sh finds it",
    );
  });

  it('the right GID that never reached the container: the group_add line is the fix', () => {
    const r = judgeRenderProbe('worker', probe([10001], { error: 'EACCES' }), '4711', [NODE]);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^worker .*GID 4711 = RENDER_GID, but the container was not given that group\. Fix: .*services\.worker `group_add: \["\$\{RENDER_GID\}"\]`$/);
  });

  it('the device not passed: names what the host has and the devices line', () => {
    const r = judgeRenderProbe('app', { uid: 10001, groups: [10001, 4711], nodes: [] }, '4711', [NODE]);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^app: no \/dev\/dri\/renderD\* inside the container, though the host has \/dev\/dri\/renderD128: the device is not passed\. Fix: .*services\.app `devices: \["\/dev\/dri:\/dev\/dri"\]`/);
  });

  it('a node without group permissions: the mode and the udev fix', () => {
    const r = judgeRenderProbe('app', probe([10001, 4711], { mode: 0o600, error: 'EACCES' }), '4711', [NODE]);
    expect(r.detail).toMatch(/has the node's group 4711, but the node is mode 0600.*chmod 0660 \/dev\/dri\/renderD128/);
  });

  it('a refusal that is not about permissions points at the host driver', () => {
    const r = judgeRenderProbe('app', probe([10001, 4711], { error: 'ENXIO' }), '4711', [NODE]);
    expect(r.detail).toMatch(/\(ENXIO\): the node is there and permitted, so the host's driver refused it/);
  });
});

describe('running the probe', () => {
  it('is valid Python that reports this process and the render nodes it sees', () => {
    const out = execFileSync('python3', ['-c', RENDER_PROBE], { encoding: 'utf8' });
    const parsed = parseRenderProbe(out);
    expect(parsed?.uid).toBe(process.getuid!());
    expect(parsed?.groups).toContain(process.getgid!());
    // What nodes it sees depends on the host (the e2e test may be adding its stand-in right now).
    for (const n of parsed!.nodes) expect(n).toMatchObject({ path: expect.stringMatching(/^\/dev\/dri\/renderD\d+$/), gid: expect.any(Number), error: '' });
  });

  it('lists only render nodes of a /dev/dri directory', () => {
    const tmp = tempDir();
    const dir = join(tmp.dir, 'dri');
    mkdirSync(dir);
    for (const name of ['card0', 'renderD129', 'renderD128', 'by-path']) writeFileSync(join(dir, name), '');
    expect(hostRenderNodes(dir)).toEqual([`${dir}/renderD128`, `${dir}/renderD129`]);
    expect(hostRenderNodes(join(dir, 'missing'))).toEqual([]);
    tmp.cleanup();
  });

  it('checks each service, puts failures first, and fails when the probe cannot run', async () => {
    const seen: string[] = [];
    const r = await checkRenderAccess(['app', 'worker'], '4711', async (service) => {
      seen.push(service);
      return service === 'app' ? ran(JSON.stringify(probe([10001, 4711]))) : ran('OCI runtime exec failed: python: not found', false);
    }, [NODE]);
    expect(seen).toEqual(['app', 'worker']);
    expect(r.ok).toBe(false);
    expect(r.detail.split('\n')).toEqual([
      'worker: the render-node probe did not run (exit 1): OCI runtime exec failed: python: not found',
      'app: /dev/dri/renderD128 opened read-write as UID 10001 through GID 4711 (RENDER_GID=4711)',
    ]);
  });

  it('fails before running anything when the host /dev/dri has no render node', async () => {
    const r = await checkRenderAccess(['app'], '4711', async () => {
      throw new Error('must not run');
    }, []);
    expect(r).toMatchObject({ ok: false });
    expect(r.detail).toMatch(/no render node \(renderD\*\)/);
  });
});

describe('what smoke says it did not prove', () => {
  const tmp = tempDir();
  const dir = tmp.dir;
  afterAll(tmp.cleanup);
  writeFileSync(join(dir, 'docker-compose.gpu.yml'), 'services: {}\n');

  it('NVIDIA without a device: the reservation and the services it was for', () => {
    const d = gpuDecision(answersFor({ gpu: 'nvidia', worker: 'python -m w', gpuServices: 'app,worker' }), dir, () => false);
    expect(d?.use).toBe(false);
    expect(d?.notice).toMatch(/^skipped: no NVIDIA device on this host \(\/dev\/nvidiactl, \/dev\/nvidia0\)/);
    expect(d?.notice).toContain('Not proven: that the NVIDIA Container Toolkit grants its reservation (driver nvidia, count all, capabilities [gpu]) to app and worker, and that UID 10001 can use the GPU there');
  });

  it('render without /dev/dri: the render node access it could not check', () => {
    const d = gpuDecision(answersFor({ gpu: 'render' }), dir, () => false);
    expect(d?.notice).toMatch(/^skipped: no \/dev\/dri on this host.*Not proven: that app can open \/dev\/dri\/renderD\* as UID 10001 through the render group$/);
  });
});
