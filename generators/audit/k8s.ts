/**
 * Kubernetes manifests: any YAML file whose documents are Kubernetes objects (apiVersion and kind),
 * and Kustomize's kustomization.yaml (for secrets written into its generators). Each pod template
 * (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) is held to the restricted
 * Pod Security Standard and the K8-xx rules (k8s-rules.ts).
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { finding, type RuleId } from './rules.js';
import type { Finding } from './types.js';
import { basename, imagePinProblem, isFileReference, isPlaceholder, SECRET_NAME, SECRET_TOKEN } from './util.js';

type Js = Record<string, any>;
type Path = (string | number)[];

/** Kinds with a pod template, and where it is. */
const POD_SPEC: Record<string, Path> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
/** Kinds whose pods run to completion: no probes expected. */
const RUNS_ONCE = new Set(['Job', 'CronJob']);
/** A URL with a password in its user-info that is not a token or a $(VAR) reference. */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s]+)@/i;

export function isKustomization(path: string): boolean {
  return /^kustomization\.ya?ml$/.test(basename(path));
}

/** Whether a YAML text holds Kubernetes objects (or is a kustomization). */
export function isKubeManifest(path: string, content: string): boolean {
  if (!/\.ya?ml$/.test(basename(path))) return false;
  if (isKustomization(path)) return true;
  return /^apiVersion:\s*\S+/m.test(content) && /^kind:\s*[A-Z]\w*/m.test(content);
}

function lineFinder(doc: Document, counter: LineCounter) {
  return (path: Path): number => {
    let node: unknown = doc.contents;
    let line = doc.contents?.range ? counter.linePos(doc.contents.range[0]).line : 1;
    for (const key of path) {
      const item = isMap(node)
        ? node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key))
        : isSeq(node) && typeof key === 'number'
          ? node.items[key]
          : undefined;
      if (!item) break;
      const at = (isPair(item) ? (item.key as Node) : (item as Node)).range?.[0];
      if (at !== undefined) line = counter.linePos(at).line;
      node = isPair(item) ? item.value : item;
    }
    return line;
  };
}

function get(object: Js, path: Path): any {
  return path.reduce<any>((o, k) => (o == null ? undefined : o[k]), object);
}

/** A secret-looking value: a secret-named key with a real value, or a URL carrying a password. */
function secretValue(name: string, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (SECRET_TOKEN.test(value) || value.includes('$(')) return false;
  const url = URL_PASSWORD.exec(value);
  if (url && !isPlaceholder(url[1]!)) return true;
  return SECRET_NAME.test(name) && !isFileReference(name, value) && !isPlaceholder(value);
}

function auditPod(kind: string, name: string, spec: Js, at: (p: Path) => number, base: Path, add: (id: RuleId, line: number, message: string) => void): void {
  const pod = (spec.securityContext ?? {}) as Js;
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[key] === true) add('K8-09', at([...base, key]), `${name}: ${key}: true`);
  for (const [i, v] of ((spec.volumes ?? []) as Js[]).entries()) {
    if (v?.hostPath) add('K8-08', at([...base, 'volumes', i]), `${name}: volume ${v.name ?? i} mounts the node's ${v.hostPath.path ?? 'path'}`);
  }
  const containers = [...((spec.initContainers ?? []) as Js[]).map((c, i) => ({ c, path: [...base, 'initContainers', i], init: true })),
    ...((spec.containers ?? []) as Js[]).map((c, i) => ({ c, path: [...base, 'containers', i], init: false }))];
  for (const { c, path, init } of containers) {
    const who = `${name}/${c.name ?? '?'}`;
    const sc = (c.securityContext ?? {}) as Js;
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    const user = sc.runAsUser ?? pod.runAsUser;
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (nonRoot !== true || user === 0) add('K8-01', at([...base, 'securityContext']), `${who}: ${user === 0 ? 'runAsUser: 0' : 'runAsNonRoot is not true'}`);
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') add('K8-01', at([...base, 'securityContext']), `${who}: no seccompProfile (RuntimeDefault)`);
    const added = ((sc.capabilities?.add ?? []) as string[]).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (sc.privileged === true) add('K8-02', at([...path, 'securityContext']), `${who}: privileged: true`);
    if (sc.allowPrivilegeEscalation !== false) add('K8-02', at([...path, 'securityContext']), `${who}: allowPrivilegeEscalation is not false`);
    if (!((sc.capabilities?.drop ?? []) as string[]).includes('ALL')) add('K8-02', at([...path, 'securityContext']), `${who}: capabilities not dropped (drop: [ALL])`);
    if (added.length > 0) add('K8-02', at([...path, 'securityContext']), `${who}: adds ${added.join(', ')}`);
    if (sc.readOnlyRootFilesystem !== true) add('K8-03', at([...path, 'securityContext']), `${who}: readOnlyRootFilesystem is not true`);
    const limits = (c.resources?.limits ?? {}) as Js;
    const missing = [...(limits.memory === undefined ? ['memory limit'] : []), ...(limits.cpu === undefined ? ['CPU limit'] : []), ...(c.resources?.requests === undefined ? ['requests'] : [])];
    if (missing.length > 0) add('K8-05', at([...path, 'resources']), `${who}: no ${missing.join(', ')}`);
    if (!init && !RUNS_ONCE.has(kind) && kind !== 'Pod') {
      const served = ((c.ports ?? []) as Js[]).length > 0;
      if (!c.livenessProbe) add('K8-04', at(path), `${who}: no livenessProbe`);
      if (served && !c.readinessProbe) add('K8-04', at(path), `${who}: serves a port without a readinessProbe`);
    }
    const problem = typeof c.image === 'string' ? imagePinProblem(c.image) : `${who}: no image`;
    if (problem) add('K8-07', at([...path, 'image']), `${who}: ${problem}`);
    for (const [i, e] of ((c.env ?? []) as Js[]).entries()) {
      if (secretValue(String(e?.name ?? ''), e?.value)) add('K8-06', at([...path, 'env', i]), `${who}: env ${e.name} holds a secret value`);
    }
  }
}

function auditObject(object: Js, at: (p: Path) => number, add: (id: RuleId, line: number, message: string) => void): void {
  const kind = String(object.kind ?? '');
  const name = `${kind} ${object.metadata?.name ?? '?'}`;
  const base = POD_SPEC[kind];
  if (base) {
    const spec = get(object, base);
    if (spec && typeof spec === 'object') auditPod(kind, name, spec as Js, at, base, add);
  }
  if (kind === 'Secret') {
    // data is base64: judged decoded, like stringData.
    const decoded = Object.entries((object.data ?? {}) as Js).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')] as const);
    const real = [...decoded, ...Object.entries((object.stringData ?? {}) as Js)].filter(([, v]) => !isPlaceholder(String(v ?? '')));
    if (real.length > 0) add('K8-06', at(['data' in object ? 'data' : 'stringData']), `${name}: ${real.map(([k]) => k).join(', ')} written in the manifest`);
  }
  if (kind === 'ConfigMap') {
    for (const [key, value] of Object.entries((object.data ?? {}) as Js)) {
      if (secretValue(key, value)) add('K8-06', at(['data', key]), `${name}: ${key} holds a secret value`);
    }
  }
  if (kind === 'Kustomization') {
    for (const [i, g] of ((object.secretGenerator ?? []) as Js[]).entries()) {
      for (const literal of (g?.literals ?? []) as string[]) {
        const [k, ...v] = String(literal).split('=');
        if (!isPlaceholder(v.join('='))) add('K8-06', at(['secretGenerator', i, 'literals']), `secretGenerator ${g.name ?? i}: literal ${k} written in the kustomization`);
      }
    }
  }
}

export function auditKube(path: string, content: string): Finding[] {
  const findings: Finding[] = [];
  const counter = new LineCounter();
  const docs = parseAllDocuments(content, { lineCounter: counter });
  const add = (id: RuleId, line: number, message: string) => findings.push(finding(id, path, line, message));
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      add('PI-08', doc.errors[0]!.linePos?.[0]?.line ?? 1, `YAML error: ${doc.errors[0]!.message.split('\n')[0]}`);
      continue;
    }
    const object = doc.toJS() as Js | null;
    if (!object || typeof object !== 'object') continue;
    const kustomization = isKustomization(path) && (object.kind === undefined || object.kind === 'Kustomization');
    if (!kustomization && (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')) continue;
    auditObject(kustomization ? { ...object, kind: 'Kustomization' } : object, lineFinder(doc, counter), add);
  }
  return findings;
}
