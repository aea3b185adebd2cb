/** Redis's smoke steps: it refuses without its password, answers with it, and the worker is connected. */
import { REDIS_SECRET } from '../../../render/app-env.js';
import { compose } from '../../docker.js';
import { containerIps, findService, lastLines, MINUTE, must, StepFailure, unhealthyReport, serviceSmoke, type Context } from '../steps.js';
import { hasWorker } from './worker.js';

const hasRedis = (ctx: Context) => ctx.answers.redis;

export const redisSmoke = serviceSmoke('redis', [
  {
    name: 'redis answers with its password',
    when: hasRedis,
    compose: async (ctx) => {
      // Without the password Redis must refuse; with it (from the secret, never an argument) PONG.
      const ping = `redis-cli -h 127.0.0.1 ping; REDISCLI_AUTH="$(cat /run/secrets/${REDIS_SECRET})" redis-cli -h 127.0.0.1 ping`;
      const r = must(await compose(ctx.project, ['exec', '-T', 'redis', 'sh', '-c', ping], { timeout: MINUTE, signal: ctx.signal }), 'redis-cli ping');
      const answers = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      const [anonymous = '', authenticated = ''] = [answers[0], answers[answers.length - 1]];
      if (!/NOAUTH/.test(anonymous)) throw new StepFailure(`Redis answered a PING without the password (${JSON.stringify(anonymous)}): requirepass is not in force`);
      if (authenticated !== 'PONG') throw new StepFailure(`an authenticated PING answered ${JSON.stringify(authenticated)}`, lastLines(r.all, 10));
      return 'PING without the password -> NOAUTH; with the secret -> PONG';
    },
  },
  {
    name: 'worker connected to redis',
    when: (ctx) => hasRedis(ctx) && hasWorker(ctx),
    compose: async (ctx) => {
      const worker = await findService(ctx, 'worker');
      const ips = await containerIps(ctx.project.engine, worker.name);
      const list = `REDISCLI_AUTH="$(cat /run/secrets/${REDIS_SECRET})" redis-cli -h 127.0.0.1 client list`;
      // A worker connects once it has imported its app: give it a little time after "healthy".
      for (let attempt = 0; attempt < 30 && !ctx.signal.aborted; attempt++) {
        const r = must(await compose(ctx.project, ['exec', '-T', 'redis', 'sh', '-c', list], { timeout: MINUTE, signal: ctx.signal }), 'redis-cli client list');
        const clients = r.stdout.split('\n').filter((l) => ips.some((ip) => l.includes(` addr=${ip}:`)));
        if (clients.length > 0) return `${clients.length} connection${clients.length === 1 ? '' : 's'} from the worker (${ips.join(', ')})`;
        await new Promise((res) => setTimeout(res, 1_000));
      }
      throw new StepFailure(`no Redis client from the worker (${ips.join(', ') || 'no address'}) after 30 s: is its broker URL {redis.url}?`, await unhealthyReport(ctx, [{ ...worker, health: 'unhealthy' }]));
    },
  },
]);
