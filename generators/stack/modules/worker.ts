/**
 * The worker: the project's image running the worker command, on the internal network only.
 */
import type { ModuleContext, ServiceModule } from '../types.js';
import { APP_HEALTH, duration, limits, START_INTERVAL_REF, STOP_GRACE_SECONDS, longRunning } from '../view.js';
import { appLike, dependsOnKey, secretsKey } from './image.js';

/**
 * A worker probe for any worker command: under `init: true`, PID 1 is docker-init and the worker is
 * its child, so "healthy" means that child exists and is not a zombie.
 */
export const WORKER_PROBE =
  "import sys; kids = open('/proc/1/task/1/children').read().split(); " +
  "sys.exit(0 if any(open(f'/proc/{p}/stat').read().split(')')[-1].split()[0] != 'Z' for p in kids) else 1)";

function service(ctx: ModuleContext) {
  const { view, answers: a } = ctx;
  return {
    ...appLike(view),
    command: view.workerCommand,
    ...(Object.keys(ctx.appEnv).length > 0 ? { environment: { ...ctx.appEnv } } : {}),
    ...secretsKey(ctx.appSecrets),
    ...dependsOnKey(ctx.runsAfter),
    // The image's HEALTHCHECK probes HTTP, which a worker does not serve: check instead that the
    // worker process under init is alive and not a zombie.
    healthcheck: {
      // CMD-SHELL: Podman 5's Docker API splits CMD arguments at spaces (containers/podman#26519).
      test: ['CMD-SHELL', `python -c "${WORKER_PROBE}"`],
      interval: APP_HEALTH.interval,
      timeout: '5s',
      retries: 3,
      start_period: '20s',
      start_interval: START_INTERVAL_REF,
    },
    ...longRunning(duration(STOP_GRACE_SECONDS), limits(a.cpus, a.memory, 256), 4096),
    networks: ['backend'],
  };
}

export const worker: ServiceModule = {
  id: 'worker',
  kind: 'app',
  serviceName: 'worker',
  applies: (a) => a.worker !== '',
  options: ['worker'],
  role: 'rolling',
  service,
  comments: () => [
    { path: ['services', 'worker', 'stop_grace_period'], text: 'SIGTERM is a warm shutdown for Celery and RQ: the task in hand finishes first, within this window.' },
    { path: ['services', 'worker', 'networks'], text: 'Internal network only: add an egress network if the worker calls outside services.' },
  ],
  smoke: () => [{ name: 'worker running', service: 'worker', check: { kind: 'running' }, passed: 'worker running (healthy)' }],
  audit: () => [{ service: 'worker', rules: ['CP-03', 'CP-18'], image: /.*/ }],
};
