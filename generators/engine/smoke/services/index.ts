/**
 * The smoke steps of every service module, in the order they run once the stack is healthy. A new
 * service (a database, a proxy) adds its module here; the compose and Swarm runners loop over them.
 */
import type { ServiceSmoke, StepSpec } from '../steps.js';
import { djangoSmoke, stateSmoke } from './app.js';
import { migrateSmoke } from './migrate.js';
import { postgresSmoke } from './postgres.js';
import { redisSmoke } from './redis.js';
import { workerSmoke } from './worker.js';

export const SERVICE_SMOKE: readonly ServiceSmoke[] = [migrateSmoke, djangoSmoke, workerSmoke, postgresSmoke, redisSmoke, stateSmoke];

export function serviceSteps(runner: 'compose' | 'swarm'): StepSpec[] {
  return SERVICE_SMOKE.flatMap((s) => s[runner]);
}
