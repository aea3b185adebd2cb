/**
 * The Podman-only overlay of `smoke --kube`: the base as `kubectl kustomize` renders it, changed as
 * data (never the files a cluster gets) where `podman kube play` does not do what a cluster does:
 * - objects it does not play (Namespace, Service, NetworkPolicy, PodDisruptionBudget, autoscaler,
 *   Ingress) are left out, and listed;
 * - a StatefulSet becomes a Deployment of one with a PersistentVolumeClaim per claim template;
 * - names get the run's prefix (pods, claims and secrets are global on a Podman host);
 * - Service names resolve through hostAliases to the pod behind each (added once those pods have
 *   addresses: Podman has no Service DNS);
 * - httpGet probes become the same request through the image's Python (Podman runs a probe as a
 *   healthcheck with curl, which a slim image lacks);
 * - Secret volumes are 0444 (Podman applies no fsGroup to them), as compose mounts them;
 * - images point at the local build and at the stand-in or mirror images given.
 */
type Obj = Record<string, any>;

export const NOT_PLAYED = new Set(['Namespace', 'Service', 'NetworkPolicy', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Ingress']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'Job']);

export interface OverlayInput {
  objects: Obj[];
  /** The run's prefix, e.g. `shop-smoke-1a2b3c`. */
  prefix: string;
  /** The base's image of our services -> the tag just built. */
  appImage: { from: string; to: string };
  /** Image repository (without tag) -> the image to run instead (mirrors, stand-ins). */
  images: Record<string, string>;
}

export interface Phase {
  name: string;
  /** Workload names (prefixed) played in this phase. */
  workloads: string[];
  objects: Obj[];
}

export interface Overlay {
  phases: Phase[];
  /** What the overlay left out, by kind. */
  skipped: string[];
  /** Service name -> the workload (prefixed) whose pods it selects. */
  services: Record<string, string>;
}

function podSpec(o: Obj): Obj | undefined {
  return o.spec?.template?.spec;
}

/** The same request as an httpGet probe, through the image's Python. */
export function pythonProbe(path: string, port: number): string[] {
  return ['python', '-c', `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}${path}', timeout=4)`];
}

function portOf(container: Obj, port: unknown): number {
  if (typeof port === 'number') return port;
  const named = ((container.ports ?? []) as Obj[]).find((p) => p.name === port);
  return Number(named?.containerPort ?? port);
}

function imageFor(image: string, input: OverlayInput): string {
  if (image === input.appImage.from) return input.appImage.to;
  const repository = image.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
  return input.images[repository] ?? image;
}

function adaptPod(spec: Obj, input: OverlayInput, rename: (n: string) => string): void {
  for (const c of (spec.containers ?? []) as Obj[]) {
    c.image = imageFor(String(c.image), input);
    for (const key of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const probe = c[key] as Obj | undefined;
      if (probe?.httpGet) {
        const { httpGet, ...rest } = probe;
        c[key] = { ...rest, exec: { command: pythonProbe(String(httpGet.path ?? '/'), portOf(c, httpGet.port)) } };
      }
    }
    for (const e of (c.env ?? []) as Obj[]) {
      if (e.valueFrom?.secretKeyRef) e.valueFrom.secretKeyRef.name = rename(e.valueFrom.secretKeyRef.name);
    }
  }
  for (const v of (spec.volumes ?? []) as Obj[]) {
    if (v.secret) v.secret = { ...v.secret, secretName: rename(v.secret.secretName), defaultMode: 0o444 };
    if (v.persistentVolumeClaim) v.persistentVolumeClaim.claimName = rename(v.persistentVolumeClaim.claimName);
  }
}

/** A StatefulSet as Podman plays it: a Deployment of one, its claim templates as claims. */
function fromStatefulSet(o: Obj, rename: (n: string) => string): { workload: Obj; claims: Obj[] } {
  const { volumeClaimTemplates = [], serviceName: _service, ...spec } = o.spec as Obj;
  const claims = (volumeClaimTemplates as Obj[]).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { ...t.metadata, name: rename(`${o.metadata.name}-${t.metadata.name}`) },
    spec: t.spec,
  }));
  const template = structuredClone(spec.template) as Obj;
  template.spec.volumes = [
    ...((template.spec.volumes ?? []) as Obj[]),
    ...(volumeClaimTemplates as Obj[]).map((t) => ({ name: t.metadata.name, persistentVolumeClaim: { claimName: `${o.metadata.name}-${t.metadata.name}` } })),
  ];
  return { workload: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: o.metadata, spec: { ...spec, replicas: 1, template } }, claims };
}

function selects(selector: Obj, labels: Obj): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

export function podmanOverlay(input: OverlayInput): Overlay {
  const rename = (n: string) => `${input.prefix}-${n}`;
  const skipped: string[] = [];
  const shared: Obj[] = [];
  const backing: Obj[] = [];
  const jobs: Obj[] = [];
  const apps: Obj[] = [];
  const services: Record<string, string> = {};
  const objects = structuredClone(input.objects) as Obj[];
  for (const o of objects.filter((x) => x.kind === 'Service')) {
    const target = objects.find((w) => WORKLOADS.has(w.kind) && selects(o.spec?.selector, w.spec?.template?.metadata?.labels));
    if (target) services[o.metadata.name] = rename(target.metadata.name);
  }
  for (const o of objects) {
    if (NOT_PLAYED.has(o.kind)) {
      skipped.push(`${o.kind} ${o.metadata?.name}`);
      continue;
    }
    delete o.metadata.namespace;
    if (o.kind === 'Secret' || o.kind === 'PersistentVolumeClaim') {
      o.metadata.name = rename(o.metadata.name);
      shared.push(o);
      continue;
    }
    if (o.kind === 'ConfigMap') {
      shared.push(o);
      continue;
    }
    let workload = o;
    if (o.kind === 'StatefulSet') {
      const converted = fromStatefulSet(o, rename);
      workload = converted.workload;
      shared.push(...converted.claims);
    }
    const spec = podSpec(workload);
    if (!spec) {
      skipped.push(`${o.kind} ${o.metadata?.name}`);
      continue;
    }
    adaptPod(spec, input, rename);
    workload.metadata.name = rename(workload.metadata.name);
    if (workload.kind === 'Deployment') workload.spec.replicas = 1;
    const component = workload.metadata.labels?.['app.kubernetes.io/component'];
    (workload.kind === 'Job' ? jobs : component === 'app' || component === 'worker' ? apps : backing).push(workload);
  }
  // ConfigMaps are not kept between plays: each phase that has pods carries them.
  const configMaps = shared.filter((o) => o.kind === 'ConfigMap');
  const standalone = shared.filter((o) => o.kind !== 'ConfigMap');
  const phases: Phase[] = [
    // Podman plays a ConfigMap only beside a pod that uses it; Secrets and claims stand alone.
    { name: 'backing services', workloads: backing.map((w) => w.metadata.name), objects: [...standalone, ...(backing.length > 0 ? configMaps : []), ...backing] },
    { name: 'migration', workloads: jobs.map((w) => w.metadata.name), objects: jobs.length > 0 ? [...configMaps, ...jobs] : [] },
    { name: 'app', workloads: apps.map((w) => w.metadata.name), objects: apps.length > 0 ? [...configMaps, ...apps] : [] },
  ].filter((p) => p.objects.length > 0);
  return { phases, skipped, services };
}

/** Adds Service names as hostAliases to every pod of a phase: Podman has no Service DNS. */
export function withHostAliases(phase: Phase, addresses: Record<string, string>): Phase {
  const aliases = Object.entries(addresses).map(([hostname, ip]) => ({ ip, hostnames: [hostname] }));
  if (aliases.length === 0) return phase;
  return {
    ...phase,
    objects: phase.objects.map((o) => {
      const spec = podSpec(o);
      if (!spec) return o;
      const copy = structuredClone(o);
      copy.spec.template.spec.hostAliases = [...((spec.hostAliases ?? []) as Obj[]), ...aliases];
      return copy;
    }),
  };
}
