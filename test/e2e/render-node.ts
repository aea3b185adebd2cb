/**
 * A stand-in GPU render node for the real-engine tests: /dev/dri/renderD128 made with the null
 * device's numbers (c 1 3), mode 0660, owned by a `render` group. For the engine and the kernel it
 * is a render node as far as permissions go, which is all smoke's GPU step checks. Needs root (CI
 * runs as root); fails, never skips, without it. `remove()` undoes exactly what `create` did.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { execa } from 'execa';

const DRI = '/dev/dri';
export const RENDER_NODE = `${DRI}/renderD128`;
/** st_rdev of a character device 1:3 (/dev/null's numbers): how a stand-in left by a killed run is recognised. */
const NULL_RDEV = (1 << 8) | 3;

export interface RenderNode {
  /** The GID that owns the node (the render group's). */
  gid: number;
  /** Whether this is a stand-in (false on a host with a real render node, which is used as it is). */
  simulated: boolean;
  /** Whether the `render` group was made for it (and goes with it). */
  ownGroup: boolean;
  remove: () => Promise<void>;
}

function groupGid(name: string): number | undefined {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[2]) : undefined;
}

function freeGid(from = 4700): number {
  const used = new Set(
    readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((l) => Number(l.split(':')[2])),
  );
  let gid = from;
  while (used.has(gid)) gid++;
  return gid;
}

async function run(command: string, args: string[]): Promise<void> {
  const r = await execa(command, args, { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr}`);
}

function isStandIn(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isCharacterDevice() && st.rdev === NULL_RDEV;
  } catch {
    return false;
  }
}

export async function createRenderNode(): Promise<RenderNode> {
  const real = existsSync(RENDER_NODE) && !isStandIn(RENDER_NODE);
  if (real) {
    return { gid: lstatSync(RENDER_NODE).gid, simulated: false, ownGroup: false, remove: async () => {} };
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`making the stand-in ${RENDER_NODE} needs root (mknod, groupadd): run the e2e tests as root, as CI does`);
  }
  const undo: (() => Promise<void>)[] = [];
  const remove = async () => {
    const errors: string[] = [];
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    if (errors.length > 0) throw new Error(`removing the stand-in render node: ${errors.join('; ')}`);
  };
  try {
    let gid = groupGid('render');
    const ownGroup = gid === undefined;
    if (gid === undefined) {
      gid = freeGid();
      await run('groupadd', ['--gid', String(gid), 'render']);
      undo.push(() => run('groupdel', ['render']));
    }
    // A stand-in left by a killed run is replaced; it is ours (c 1 3) and goes again at the end,
    // with /dev/dri when nothing else is in it.
    if (isStandIn(RENDER_NODE)) unlinkSync(RENDER_NODE);
    if (!existsSync(DRI)) mkdirSync(DRI, { mode: 0o755 });
    if (readdirSync(DRI).length === 0) undo.push(async () => rmdirSync(DRI));
    await run('mknod', ['-m', '660', RENDER_NODE, 'c', '1', '3']);
    undo.push(async () => unlinkSync(RENDER_NODE));
    await run('chown', [`root:${gid}`, RENDER_NODE]);
    return { gid, simulated: true, ownGroup, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
