/**
 * The app: the project's image serving HTTP, the only service with a published port (loopback by
 * default), on the front network, and on the internal one when it has anything to talk to there.
 */
import { stateVolumeName } from '../../answers/settings.js';
import type { ModuleContext, ServiceModule } from '../types.js';
import { APP_HEALTH, duration, GRACEFUL_SECONDS, limits, START_INTERVAL_REF, STOP_GRACE_SECONDS, longRunning } from '../view.js';
import { appLike, dependsOnKey, secretsKey } from './image.js';

/** Whether a reverse proxy is the front door (then the app publishes no port). */
export function behindProxy(a: { proxy?: string }): boolean {
  return a.proxy !== undefined && a.proxy !== 'none';
}

/** Whether the stack has services on the internal network (anything besides the app). */
export function hasBackend(ctx: ModuleContext): boolean {
  return ctx.active.some((m) => m.serviceName !== 'app');
}

function service(ctx: ModuleContext) {
  const { view, answers: a } = ctx;
  return {
    ...appLike(view),
    // Behind the proxy the app publishes nothing: the proxy reaches it on the frontend network.
    ...(behindProxy(a) ? {} : { ports: [`\${APP_BIND_IP:-127.0.0.1}:\${APP_PORT:-${view.port}}:${view.port}`] }),
    environment: { WEB_CONCURRENCY: '${WEB_CONCURRENCY:-2}', ...ctx.appEnv },
    ...secretsKey(ctx.appSecrets),
    ...dependsOnKey(ctx.runsAfter),
    healthcheck: {
      test: ['CMD', ...view.healthcheck],
      interval: APP_HEALTH.interval,
      timeout: APP_HEALTH.timeout,
      retries: APP_HEALTH.retries,
      start_period: APP_HEALTH.startPeriod,
      start_interval: START_INTERVAL_REF,
    },
    ...longRunning(duration(STOP_GRACE_SECONDS), limits(a.cpus, a.memory, 256), 4096),
    networks: ['frontend', ...(hasBackend(ctx) ? ['backend'] : [])],
  };
}

export const app: ServiceModule = {
  id: 'app',
  kind: 'app',
  serviceName: 'app',
  applies: () => true,
  options: [
    'name', 'pythonVersion', 'framework', 'appModule', 'server', 'installServer', 'pythonPath', 'port', 'healthPath', 'deps',
    'requirementsFile', 'collectStatic', 'env', 'stateDirs', 'nativeBuild', 'gpu', 'gpuServices', 'cpus', 'memory', 'dockerfileSyntax', 'registry',
    // Where Django's manage.py lives; the pipeline that builds and proves this image.
    'djangoDir', 'ci',
    // The development loop's image and server (compose.dev.yml, render/dev.ts).
    'devDeps', 'debugger',
    // How deploy/k8s runs the stack (render/k8s).
    'kubeNamespace', 'kubeDb', 'externalDb', 'kubeHpa', 'kubeIngress', 'kubeCertIssuer', 'kubeGpuResource',
  ],
  // Writable state: a named volume over each directory (scripts/backup-state.sh saves them).
  volumes: (a) => a.stateDirs.map(stateVolumeName),
  role: 'rolling',
  service,
  comments: (ctx) => {
    const secretSettings = ctx.settings.filter((e) => e.secrets.length > 0).map((e) => e.name);
    return [
      ...(behindProxy(ctx.answers) ? [] : [{ path: ['services', 'app', 'ports'], text: 'Loopback only unless APP_BIND_IP says otherwise: Docker\'s port rules bypass host firewalls.' }]),
      { path: ['services', 'app', 'read_only'], text: 'Nothing in the image is writable at run time; /tmp is a small tmpfs.' },
      { path: ['services', 'app', 'restart'], text: 'Back after a reboot or engine restart; a crash loop waits longer each time (up to a minute), it does not give up.' },
      { path: ['services', 'app', 'stop_grace_period'], text: `Longer than the server's own graceful timeout (${GRACEFUL_SECONDS}s), so requests finish on stop.` },
      ...(ctx.view.stateDirs.length > 0
        ? [{ path: ['services', 'app', 'volumes'], text: 'What the app writes at run time lives in named volumes (scripts/backup-state.sh saves them); the rest stays read-only.' }]
        : []),
      ...(secretSettings.length > 0
        ? [{ path: ['services', 'app', 'environment'], text: `{secret:...} tokens (${secretSettings.join(', ')}) are filled from /run/secrets by the image's entrypoint at start.` }]
        : []),
    ];
  },
  smoke: () => [
    { name: 'app healthy', service: 'app', check: { kind: 'running' }, passed: 'app healthy' },
  ],
  audit: () => [{ service: 'app', rules: ['CP-01', 'CP-02', 'CP-03', 'CP-14', 'CP-18', 'CP-19'], image: /.*/ }],
  image: { variable: 'PYTHON_IMAGE', option: 'baseImage', flag: 'base-image', default: 'python:3.12-slim-bookworm' },
};
