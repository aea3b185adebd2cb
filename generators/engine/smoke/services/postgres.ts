/**
 * The database's smoke step, from the active database module's own step data (stack/modules:
 * postgres, mariadb): its query runs in the db container over TCP with the password from its secret.
 */
import type { Answers } from '../../../answers/types.js';
import { activeModules } from '../../../stack/index.js';
import { compose, docker } from '../../docker.js';
import { must, MINUTE, StepFailure, serviceSmoke, type Context } from '../steps.js';
import { swarmContainer } from '../swarm-tasks.js';

/** The active database module's query (its smoke step data): the script and its expected answer. */
export function databaseQuery(a: Answers): { script: string; expect: string } | undefined {
  for (const step of activeModules(a).flatMap((m) => m.smoke?.(a) ?? [])) {
    if (step.name === 'database answers' && step.check.kind === 'exec') return step.check;
  }
  return undefined;
}

const hasDatabase = (ctx: Context) => databaseQuery(ctx.answers) !== undefined;

function answered(stdout: string, expect: string): void {
  if (stdout.trim() !== expect) throw new StepFailure(`select 1 answered ${JSON.stringify(stdout.trim())}`);
}

export const postgresSmoke = serviceSmoke('database', [
  {
    name: 'database answers',
    when: hasDatabase,
    compose: async (ctx) => {
      const query = databaseQuery(ctx.answers)!;
      const r = must(
        await compose(ctx.project, ['exec', '-T', 'db', 'sh', '-c', query.script], { timeout: MINUTE, signal: ctx.signal }),
        'select 1 on db',
      );
      answered(r.stdout, query.expect);
      return 'select 1 -> 1 (password from the secret, over TCP)';
    },
    swarm: async (ctx) => {
      const query = databaseQuery(ctx.answers)!;
      const r = must(await docker(['exec', await swarmContainer(ctx, 'db'), 'sh', '-c', query.script], { timeout: MINUTE, signal: ctx.signal }), 'select 1 on db');
      answered(r.stdout, query.expect);
      return 'select 1 -> 1 (password from the Swarm secret, over TCP)';
    },
  },
]);
