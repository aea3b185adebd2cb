/**
 * The GPU override (docker-compose.gpu.yml) on this host: whether it can be used, the step that
 * says so, and the step that opens a render node as the app user.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuServiceList } from '../../answers/schema.js';
import type { Answers } from '../../answers/types.js';
import { APP_UID } from '../../render/view.js';
import { compose } from '../docker.js';
import { checkRenderAccess, type ServiceExec } from '../gpu-check.js';
import { COMPOSE_FILE, GPU_COMPOSE_FILE } from './project.js';
import { lastLines, MINUTE, StepFailure, type GpuDecision, type StepSpec } from './steps.js';

/** The numeric GID of the host's render group, from /etc/group. */
function renderGid(): string | undefined {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('render:'));
    return line?.split(':')[2] || undefined;
  } catch {
    return undefined;
  }
}

/** Whether docker-compose.gpu.yml can be added on this host; without the device it is skipped. */
export function gpuDecision(answers: Answers, dir: string, hasPath: (p: string) => boolean = existsSync): GpuDecision | undefined {
  if (answers.gpu === 'none' || !existsSync(join(dir, GPU_COMPOSE_FILE))) return undefined;
  if (answers.gpu === 'render') {
    if (!hasPath('/dev/dri')) {
      return {
        use: false,
        env: {},
        notice:
          `skipped: no /dev/dri on this host, so the base stack runs without GPU access (${GPU_COMPOSE_FILE} not used). ` +
          `Not proven: that ${gpuServiceList(answers).join(' and ')} can open /dev/dri/renderD* as UID ${APP_UID} through the render group`,
      };
    }
    const gid = process.env.RENDER_GID || renderGid();
    if (!gid) {
      return {
        use: false,
        env: {},
        notice: `skipped: /dev/dri exists but the host has no "render" group; set RENDER_GID to the GID owning /dev/dri/renderD128 to test ${GPU_COMPOSE_FILE}`,
      };
    }
    return { use: true, env: { RENDER_GID: gid }, notice: `using ${GPU_COMPOSE_FILE}: /dev/dri with render group ${gid}` };
  }
  const nvidia = ['/dev/nvidiactl', '/dev/nvidia0'].some(hasPath);
  const who = gpuServiceList(answers).join(' and ');
  return nvidia
    ? {
        use: true,
        env: {},
        notice: `using ${GPU_COMPOSE_FILE}: NVIDIA device reservation for ${who}. Not checked: that UID ${APP_UID} can use the GPU inside the container (smoke opens render nodes only)`,
      }
    : {
        use: false,
        env: {},
        notice:
          `skipped: no NVIDIA device on this host (/dev/nvidiactl, /dev/nvidia0), so the base stack runs without GPU access (${GPU_COMPOSE_FILE} not used). ` +
          `Not proven: that the NVIDIA Container Toolkit grants its reservation (driver nvidia, count all, capabilities [gpu]) to ${who}, ` +
          `and that UID ${APP_UID} can use the GPU there`,
      };
}

/** Whether docker-compose.gpu.yml is used here, and what that leaves unproven. */
export const GPU_OVERRIDE: StepSpec = {
  name: 'gpu override',
  when: (ctx) => ctx.gpu !== undefined,
  run: async (ctx) => {
    const gpu = ctx.gpu!;
    if (gpu.use || ctx.answers.gpu !== 'nvidia') return { detail: gpu.notice, notice: !gpu.use };
    // Unusable here, but Compose can still read it: the one thing proven about the NVIDIA path.
    const merged = { ...ctx.project, files: [...ctx.project.files, GPU_COMPOSE_FILE] };
    const config = await compose(merged, ['config', '--quiet'], { timeout: MINUTE, signal: ctx.signal });
    if (!config.ok) throw new StepFailure(`docker compose refuses ${GPU_COMPOSE_FILE} on top of ${COMPOSE_FILE}`, lastLines(config.all, 10));
    return { detail: `${gpu.notice}. Proven only: docker compose config accepts it on top of ${COMPOSE_FILE}`, notice: true };
  },
};

/** Each GPU service opens /dev/dri/renderD* as the app user, through the render group. */
export const GPU_RENDER_NODE: StepSpec = {
  name: 'gpu render node opens as the app user',
  when: (ctx) => ctx.gpu?.use === true && ctx.answers.gpu === 'render',
  run: async (ctx) => {
    const services = gpuServiceList(ctx.answers).filter((s) => s === 'app' || ctx.answers.worker.trim() !== '');
    const exec: ServiceExec = (service, argv) => compose(ctx.project, ['exec', '-T', service, ...argv], { timeout: MINUTE, signal: ctx.signal });
    const access = await checkRenderAccess(services, ctx.project.env.RENDER_GID ?? '', exec);
    if (!access.ok) throw new StepFailure(access.detail);
    return access.detail;
  },
};
