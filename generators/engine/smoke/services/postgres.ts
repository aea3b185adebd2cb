/** Postgres's smoke step: the database answers a query over TCP with the password from its secret. */
import { compose, docker } from '../../docker.js';
import { must, MINUTE, StepFailure, serviceSmoke, type Context } from '../steps.js';
import { swarmContainer } from '../swarm-tasks.js';

/** Over TCP with the secret's password: the same path the app takes. */
export const DB_QUERY =
  'PGPASSWORD="$(cat /run/secrets/db_password)" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "select 1"';

const hasPostgres = (ctx: Context) => ctx.answers.postgres;

function selectedOne(stdout: string): void {
  if (stdout.trim() !== '1') throw new StepFailure(`select 1 answered ${JSON.stringify(stdout.trim())}`);
}

export const postgresSmoke = serviceSmoke('postgres', [
  {
    name: 'database answers',
    when: hasPostgres,
    compose: async (ctx) => {
      const r = must(
        await compose(ctx.project, ['exec', '-T', 'db', 'sh', '-c', DB_QUERY], { timeout: MINUTE, signal: ctx.signal }),
        'select 1 on db',
      );
      selectedOne(r.stdout);
      return 'select 1 -> 1 (password from the secret, over TCP)';
    },
    swarm: async (ctx) => {
      const r = must(await docker(['exec', await swarmContainer(ctx, 'db'), 'sh', '-c', DB_QUERY], { timeout: MINUTE, signal: ctx.signal }), 'select 1 on db');
      selectedOne(r.stdout);
      return 'select 1 -> 1 (password from the Swarm secret, over TCP)';
    },
  },
]);
