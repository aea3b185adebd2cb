/**
 * The render-node check behind smoke's GPU step: inside each running service that has the GPU,
 * as the user the service runs as, open every /dev/dri/renderD* read-write, the way a GPU runtime
 * does. Permission is all the engine decides (device passed, group added, group owning the node,
 * node mode), so a stand-in node with the null device's numbers proves it on a host without a GPU.
 *
 * Engine-neutral: the caller passes `exec` (docker compose exec, podman exec, ...).
 */
import { readdirSync } from 'node:fs';
import type { RunResult } from './docker.js';

/** Runs `argv` in a running service as its own user (no --user: what the app itself gets). */
export type ServiceExec = (service: string, argv: string[]) => Promise<RunResult>;

/** What the probe reports from inside a container. */
export interface RenderProbe {
  uid: number;
  /** Primary and supplementary GIDs of the probing process. */
  groups: number[];
  nodes: { path: string; gid: number; mode: number; error: string }[];
}

export interface RenderAccess {
  ok: boolean;
  /** One line per service: the device, the GID, and on failure the fix. */
  detail: string;
}

/** Python, since every image we build has it and slim images have no shell tools to rely on. */
export const RENDER_PROBE = [
  'import errno, glob, json, os',
  "out = {'uid': os.getuid(), 'groups': sorted({os.getgid(), *os.getgroups()}), 'nodes': []}",
  "for path in sorted(glob.glob('/dev/dri/renderD*')):",
  '    st = os.stat(path)',
  "    node = {'path': path, 'gid': st.st_gid, 'mode': st.st_mode & 0o777, 'error': ''}",
  '    try:',
  '        os.close(os.open(path, os.O_RDWR))',
  '    except OSError as e:',
  "        node['error'] = errno.errorcode.get(e.errno, str(e.errno))",
  "    out['nodes'].append(node)",
  'print(json.dumps(out))',
].join('\n');

/** The render nodes this host has (what a render override passes through /dev/dri). */
export function hostRenderNodes(dir = '/dev/dri'): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => /^renderD\d+$/.test(name))
      .sort()
      .map((name) => `${dir}/${name}`);
  } catch {
    return [];
  }
}

export function parseRenderProbe(stdout: string): RenderProbe | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const probe = JSON.parse(line) as RenderProbe;
    return Array.isArray(probe.nodes) && Array.isArray(probe.groups) ? probe : undefined;
  } catch {
    return undefined;
  }
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;

const FIX_GID = (gid: number) =>
  `Fix: set RENDER_GID to the host's render group, \`getent group render | cut -d: -f3\` (here ${gid}), ` +
  'or leave it unset so scripts/up.sh finds it';

/** Pass or fail for one service, from what its probe saw; pure, so every branch is unit-tested. */
export function judgeRenderProbe(service: string, probe: RenderProbe, renderGid: string, hostNodes: string[]): RenderAccess {
  const who = `${service} (UID ${probe.uid}, groups ${probe.groups.join(',')})`;
  if (probe.nodes.length === 0) {
    return {
      ok: false,
      detail:
        `${service}: no /dev/dri/renderD* inside the container, though the host has ${hostNodes.join(', ')}: the device is not passed. ` +
        `Fix: docker-compose.gpu.yml must give services.${service} \`devices: ["/dev/dri:/dev/dri"]\`, and smoke/scripts/up.sh must use that file`,
    };
  }
  const failed = probe.nodes.filter((n) => n.error !== '');
  if (failed.length === 0) {
    const gids = [...new Set(probe.nodes.map((n) => n.gid))].join(',');
    return { ok: true, detail: `${service}: ${probe.nodes.map((n) => n.path).join(', ')} opened read-write as UID ${probe.uid} through GID ${gids} (RENDER_GID=${renderGid})` };
  }
  const lines = failed.map((node) => {
    const refused = `${who} cannot open ${node.path} read-write (${node.error})`;
    if (node.error !== 'EACCES' && node.error !== 'EPERM') {
      return `${refused}: the node is there and permitted, so the host's driver refused it; check \`ls -l /dev/dri\` and the kernel log on the host`;
    }
    if (!probe.groups.includes(node.gid)) {
      return String(node.gid) === renderGid
        ? `${refused}: the node belongs to GID ${node.gid} = RENDER_GID, but the container was not given that group. ` +
            `Fix: docker-compose.gpu.yml must give services.${service} \`group_add: ["\${RENDER_GID}"]\``
        : `${refused}: the node belongs to GID ${node.gid}, but RENDER_GID is ${renderGid || '(empty)'}. ${FIX_GID(node.gid)}`;
    }
    return (
      `${refused}: the process has the node's group ${node.gid}, but the node is mode ${octal(node.mode)}, which gives the group no read-write. ` +
      `Fix: the host's udev rules should make render nodes 0660 for group render (to try: chmod 0660 ${node.path})`
    );
  });
  return { ok: false, detail: lines.join('\n') };
}

/** Runs the probe in each service and judges it; fails when the host has no render node to pass. */
export async function checkRenderAccess(
  services: string[],
  renderGid: string,
  exec: ServiceExec,
  hostNodes: string[] = hostRenderNodes(),
): Promise<RenderAccess> {
  if (hostNodes.length === 0) {
    return {
      ok: false,
      detail: 'the host has /dev/dri but no render node (renderD*) in it: no GPU compute device to give the app. Check `ls -l /dev/dri` and that the GPU driver is loaded',
    };
  }
  const results: RenderAccess[] = [];
  for (const service of services) {
    const r = await exec(service, ['python', '-c', RENDER_PROBE]);
    const probe = r.ok ? parseRenderProbe(r.stdout) : undefined;
    results.push(
      probe
        ? judgeRenderProbe(service, probe, renderGid, hostNodes)
        : { ok: false, detail: `${service}: the render-node probe did not run (exit ${r.exitCode ?? '?'}): ${r.all.trim().split('\n').slice(-3).join(' | ')}` },
    );
  }
  // Failures first: the first line of a failed step's detail becomes smoke's message.
  const ordered = [...results.filter((r) => !r.ok), ...results.filter((r) => r.ok)];
  return { ok: results.every((r) => r.ok), detail: ordered.map((r) => r.detail).join('\n') };
}
