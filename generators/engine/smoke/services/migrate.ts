/** The migrate job's smoke steps: it ran once and exited 0 (compose: its container; Swarm: the job's task). */
import { compose } from '../../docker.js';
import { serviceLogs, serviceTasks } from '../../swarm.js';
import { findService, lastLines, MINUTE, StepFailure, serviceSmoke, type Context } from '../steps.js';
import { swarmService } from '../swarm-tasks.js';

const hasMigrations = (ctx: Context) => ctx.answers.database !== 'none' && ctx.answers.migrations !== 'none';

export const migrateSmoke = serviceSmoke('migrate', [
  {
    name: 'migration exited 0',
    when: hasMigrations,
    compose: async (ctx) => {
      const c = await findService(ctx, 'migrate');
      const logs = await compose(ctx.project, ['logs', '--no-color', '--no-log-prefix', '--tail', '40', 'migrate'], {
        timeout: MINUTE,
      });
      if (c.state !== 'exited' || c.exitCode !== 0) {
        throw new StepFailure(`migrate is ${c.state} with exit code ${c.exitCode}`, lastLines(logs.all, 40));
      }
      const last = lastLines(logs.all, 1);
      return `migrate exited 0${last ? `: ${last}` : ''}`;
    },
    swarm: async (ctx) => {
      const tasks = await serviceTasks(swarmService(ctx, 'migrate'));
      const done = tasks.find((t) => t.state === 'complete' && t.exitCode === 0);
      // The completed task's own logs: the service's interleave earlier, failed attempts.
      const logs = lastLines(await serviceLogs(done ? done.id : swarmService(ctx, 'migrate')), 40);
      if (!done) {
        const states = tasks.map((t) => `${t.state}${t.exitCode !== undefined ? ` (exit ${t.exitCode})` : ''}`).join(', ');
        throw new StepFailure(`the migrate job did not complete: ${states || 'no tasks'}`, logs);
      }
      const attempts = tasks.length > 1 ? ` after ${tasks.length} attempts (it retries until the database answers)` : '';
      const last = lastLines(logs, 1);
      return `migrate job completed, exit 0${attempts}${last ? `: ${last}` : ''}`;
    },
  },
]);
