/**
 * The services built from the project's image on Kubernetes: the app and the worker as
 * Deployments, the migration as a Job. Each pod meets the Pod Security Standard "restricted" in
 * full, reads the ConfigMap and mounts the stack's secrets at /run/secrets (where compose puts
 * them, so the entrypoint fills {secret:...} tokens the same way), and writes only /tmp and its
 * state volumes.
 */
import { gpuServiceList } from '../../answers/schema.js';
import type { StackModel } from '../../stack/types.js';
import { APP_HEALTH, GRACEFUL_SECONDS, STOP_GRACE_SECONDS } from '../../stack/view.js';
import {
  CONFIG_NAME, containerSecurity, emptyDir, EXTERNAL_DB_SECRET, meta, podSecurity, PRESTOP_SECONDS, resources, SECRETS_NAME, selector,
} from './common.js';
import { configDigest, externalDb, type KubeEnv } from './env.js';
import { DB_SECRET } from '../../stack/modules/postgres.js';

/**
 * The worker's probe on Kubernetes: with the pod's processes shared, PID 1 is the pause process and
 * the worker (like this probe) is an entry process of its own (parent 0); alive means one such
 * process, other than the probe, is neither a zombie nor stopped. Compose's probe looks for a child
 * of docker-init instead, which Kubernetes does not run.
 */
export const KUBE_WORKER_PROBE = [
  'import os, sys',
  'def stat(pid):',
  '    try:',
  "        return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()",
  '    except OSError:',
  "        return ['X', '-1']",
  "entries = [stat(p) for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]",
  "sys.exit(0 if any(s[1] == '0' and s[0] not in 'ZTtXx' for s in entries) else 1)",
].join('\n');

/** Seconds as a number, from "5s". */
function seconds(text: string): number {
  return Number(text.replace(/s$/, ''));
}

/** compose's APP_VERSION default: the tag scripts/up.sh builds. */
export const APP_TAG = '0.1.0';

/** The image of our services: the registry prefix when one is given; `kustomize edit set image` retags it. */
export function appImage(model: StackModel): string {
  const registry = model.answers.registry;
  return `${registry ? `${registry}/` : ''}${model.name}:${APP_TAG}`;
}

/** The GPU a service gets as an extended resource: the device plugin does what compose's override does. */
function gpuLimits(model: StackModel, service: string): Record<string, number> {
  const a = model.answers;
  if (a.gpu === 'none' || !gpuServiceList(a).includes(service)) return {};
  return { [a.gpu === 'nvidia' ? 'nvidia.com/gpu' : a.kubeGpuResource]: 1 };
}

function secretsVolume(model: StackModel) {
  const names = model.appSecrets;
  if (names.length === 0) return undefined;
  const external = externalDb(model);
  const own = names.filter((n) => !(external && n === DB_SECRET));
  // 0440 with fsGroup: readable by the app's group only.
  if (!external) return { name: 'secrets', secret: { secretName: SECRETS_NAME, defaultMode: 0o440, items: own.map((key) => ({ key, path: key })) } };
  return {
    name: 'secrets',
    projected: {
      defaultMode: 0o440,
      sources: [
        ...(own.length > 0 ? [{ secret: { name: SECRETS_NAME, items: own.map((key) => ({ key, path: key })) } }] : []),
        // The managed database's password, from the Secret you create (README.Docker.md).
        { secret: { name: EXTERNAL_DB_SECRET, items: [{ key: 'password', path: DB_SECRET }] } },
      ],
    },
  };
}

/** Volumes and mounts every pod built from our image has: /tmp, the secrets, the state directories. */
function storage(model: StackModel) {
  const secrets = secretsVolume(model);
  const state = model.stateDirs.map((d) => ({ name: d.volume, persistentVolumeClaim: { claimName: d.volume } }));
  return {
    volumes: [emptyDir('tmp', '64Mi', true), ...(secrets ? [secrets] : []), ...state],
    mounts: [
      { name: 'tmp', mountPath: '/tmp' },
      ...(secrets ? [{ name: 'secrets', mountPath: '/run/secrets', readOnly: true }] : []),
      ...model.stateDirs.map((d) => ({ name: d.volume, mountPath: d.path })),
    ],
  };
}

interface PodOptions {
  component: string;
  command?: string[];
  env: KubeEnv;
  extraEnv?: Record<string, string>;
  probes?: Record<string, unknown>;
  ports?: Record<string, unknown>[];
  lifecycle?: Record<string, unknown>;
  cpus: string;
  memory: string;
  grace?: number;
  restartPolicy?: string;
}

function podTemplate(model: StackModel, o: PodOptions) {
  const { volumes, mounts } = storage(model);
  const container = {
    name: o.component,
    image: appImage(model),
    imagePullPolicy: 'IfNotPresent',
    ...(o.command ? { args: o.command } : {}),
    ...(o.ports ? { ports: o.ports } : {}),
    env: [...o.env.env, ...Object.entries(o.extraEnv ?? {}).map(([name, value]) => ({ name, value }))],
    envFrom: [{ configMapRef: { name: CONFIG_NAME } }],
    ...(o.probes ?? {}),
    ...(o.lifecycle ? { lifecycle: o.lifecycle } : {}),
    resources: resources(o.cpus, o.memory, gpuLimits(model, o.component)),
    securityContext: containerSecurity(),
    volumeMounts: mounts,
  };
  if (container.env.length === 0) delete (container as { env?: unknown }).env;
  return {
    metadata: {
      labels: meta(model, o.component, o.component).labels,
      annotations: { 'create-pyimage/config-digest': configDigest(o.env.config) },
    },
    spec: {
      // The pod's pause process is PID 1 and reaps zombies, as `init: true` does under compose; the
      // server is not PID 1, so it gets SIGTERM like any process.
      shareProcessNamespace: true,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
      ...(o.grace ? { terminationGracePeriodSeconds: o.grace } : {}),
      securityContext: podSecurity(model.appUid),
      containers: [container],
      volumes,
    },
  };
}

function deployment(model: StackModel, component: string, replicas: number | undefined, template: ReturnType<typeof podTemplate>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(model, component, component),
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector(model, component) },
      // Never below the wanted count: a new pod must be ready before an old one goes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template,
    },
  };
}

export function appDeployment(model: StackModel, env: KubeEnv) {
  const a = model.answers;
  const http = { httpGet: { path: model.healthPath, port: 'http' }, timeoutSeconds: seconds(APP_HEALTH.timeout) };
  const template = podTemplate(model, {
    component: 'app',
    env,
    extraEnv: { WEB_CONCURRENCY: '2' },
    ports: [{ name: 'http', containerPort: model.port, protocol: 'TCP' }],
    probes: {
      // Up to a minute to start (compose's start_period is 30s), probed every 2s.
      startupProbe: { ...http, periodSeconds: 2, failureThreshold: 30 },
      readinessProbe: { ...http, periodSeconds: seconds(APP_HEALTH.interval), failureThreshold: APP_HEALTH.retries },
      livenessProbe: { ...http, periodSeconds: 10, failureThreshold: APP_HEALTH.retries },
    },
    lifecycle: { preStop: { exec: { command: ['sleep', String(PRESTOP_SECONDS)] } } },
    cpus: a.cpus,
    memory: a.memory,
    grace: STOP_GRACE_SECONDS,
  });
  // Writable state lives on ReadWriteOnce claims: one pod, replaced (not surged) on update.
  if (model.stateDirs.length > 0) return { ...deployment(model, 'app', 1, template), spec: { ...deployment(model, 'app', 1, template).spec, strategy: { type: 'Recreate' } } };
  return deployment(model, 'app', a.kubeHpa ? undefined : 2, template);
}

export function workerDeployment(model: StackModel, env: KubeEnv) {
  const a = model.answers;
  const probe = { exec: { command: ['python', '-c', KUBE_WORKER_PROBE] }, timeoutSeconds: 5 };
  const template = podTemplate(model, {
    component: 'worker',
    command: model.workerCommand,
    env,
    probes: {
      startupProbe: { ...probe, periodSeconds: 2, failureThreshold: 15 },
      livenessProbe: { ...probe, periodSeconds: seconds(APP_HEALTH.interval), failureThreshold: 3 },
    },
    cpus: a.cpus,
    memory: a.memory,
    grace: STOP_GRACE_SECONDS,
  });
  return deployment(model, 'worker', 1, template);
}

export function migrateJob(model: StackModel, env: KubeEnv) {
  const a = model.answers;
  const flaskApp: Record<string, string> = a.migrations === 'flask-db' && (a.framework === 'flask' || a.framework === 'wsgi') ? { FLASK_APP: a.appModule } : {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(model, 'migrate', 'migrate'),
    spec: {
      backoffLimit: 4,
      activeDeadlineSeconds: 600,
      template: podTemplate(model, {
        component: 'migrate',
        command: model.migrateCommand,
        env,
        extraEnv: flaskApp,
        cpus: '1.0',
        memory: '256m',
        restartPolicy: 'Never',
      }),
    },
  };
}

export const WORKLOAD_COMMENTS = {
  grace: `Longer than the server's own graceful timeout (${GRACEFUL_SECONDS}s) plus the ${PRESTOP_SECONDS}s preStop pause, so requests finish on stop.`,
  preStop: `Keeps serving for ${PRESTOP_SECONDS}s after the pod is marked terminating, while endpoints and load balancers drop it.`,
};
