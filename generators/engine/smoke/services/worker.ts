/** The worker's smoke step: it is running (and healthy, where it has a healthcheck). */
import { stackServices } from '../../swarm.js';
import { findService, StepFailure, unhealthyReport, serviceSmoke, type Context } from '../steps.js';
import { notConvergedReport, swarmService } from '../swarm-tasks.js';

export const hasWorker = (ctx: Context) => ctx.answers.worker.trim() !== '';

export const workerSmoke = serviceSmoke('worker', [
  {
    name: 'worker running',
    when: hasWorker,
    compose: async (ctx) => {
      const c = await findService(ctx, 'worker');
      if (c.state !== 'running' || (c.health !== '' && c.health !== 'healthy')) {
        throw new StepFailure(`worker is ${c.state}${c.health ? ` (${c.health})` : ''}`, await unhealthyReport(ctx, [c]));
      }
      return `worker ${c.state}${c.health ? ` (${c.health})` : ''}`;
    },
    swarm: async (ctx) => {
      const state = (await stackServices(ctx.project.name)).find((s) => s.name === swarmService(ctx, 'worker'));
      if (!state?.converged) throw new StepFailure(`worker is ${state?.replicas ?? 'missing'}`, await notConvergedReport(state ? [state] : []));
      return `worker ${state.replicas} running (healthy)`;
    },
  },
]);
