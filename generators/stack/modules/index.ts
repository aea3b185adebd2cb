/**
 * Every service module, in service order: the order of services in docker-compose.yml. A new
 * service is one more entry here (see ../index.ts).
 */
import type { Role, ServiceModule } from '../types.js';
import { app } from './app.js';
import { migrate } from './migrate.js';
import { mariadb } from './mariadb.js';
import { postgres } from './postgres.js';
import { proxy, proxyInit, staticJob } from './proxy.js';
import { redis } from './redis.js';
import { worker } from './worker.js';

export const MODULES: readonly ServiceModule[] = [app, worker, migrate, postgres, mariadb, redis, proxyInit, staticJob, proxy];

/** The Swarm role each known service name has (services the table does not know are classified by shape). */
export function knownRoles(modules: readonly ServiceModule[] = MODULES): Record<string, Role> {
  return Object.fromEntries(modules.filter((m) => m.role).map((m) => [m.serviceName, m.role!]));
}

export { app, mariadb, migrate, postgres, proxy, proxyInit, redis, staticJob, worker };
