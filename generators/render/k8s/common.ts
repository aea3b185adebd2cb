/**
 * What every Kubernetes object of deploy/k8s shares: the app.kubernetes.io labels, metadata, the
 * Pod Security Standard "restricted" contexts, quantities converted from compose's units, and the
 * YAML serialisation (objects as data through the yaml library, comments attached to keys).
 */
import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import type { StackModel } from '../../stack/types.js';

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };

/** Where the base lives in the project. */
export const K8S_DIR = 'deploy/k8s';
export const MANAGED_BY = 'create-pyimage';
/** The secret the secretGenerator builds from secrets/ (Kustomize appends a content hash). */
export const SECRETS_NAME = 'stack-secrets';
/** The settings every container built from our image reads. */
export const CONFIG_NAME = 'app-config';
/** The Secret a user creates for a database outside the cluster (--external-db). */
export const EXTERNAL_DB_SECRET = 'external-db';
/** Seconds the pod keeps serving after it is marked terminating, so endpoints and balancers drop it first. */
export const PRESTOP_SECONDS = 5;

/** The component label of each service (what selectors and NetworkPolicies use). */
export function componentOf(service: string): string {
  return service;
}

/** The five app.kubernetes.io labels; `name` is what runs (the project for our image, else the product). */
export function labels(model: StackModel, component: string, name = model.name): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': model.name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': model.name,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** The labels a selector matches: instance and component never change for a service. */
export function selector(model: StackModel, component: string): Record<string, string> {
  return { 'app.kubernetes.io/instance': model.name, 'app.kubernetes.io/component': component };
}

export function meta(model: StackModel, name: string, component: string, extra: Record<string, unknown> = {}, product?: string) {
  return { name, labels: labels(model, component, product), ...extra };
}

/** compose's "512m" / "2g" / "100k" as a Kubernetes quantity (binary units, as Docker means them). */
export function memoryQuantity(text: string): string {
  const match = /^(\d+)([kmg])b?$/i.exec(text.trim());
  if (!match) return text;
  return `${match[1]}${{ k: 'Ki', m: 'Mi', g: 'Gi' }[match[2]!.toLowerCase() as 'k' | 'm' | 'g']}`;
}

/** Cores as millicores ("1.0" -> "1000m"), exact for every value --cpus accepts. */
export function cpuQuantity(text: string): string {
  return `${Math.round(Number(text) * 1000)}m`;
}

/** Requests a quarter of the limits (as the Swarm stack reserves), so the scheduler packs pods where they fit. */
export function resources(cpus: string, memory: string, extra: Record<string, number> = {}) {
  const milli = Math.max(50, Math.round((Number(cpus) * 1000) / 4));
  const mem = /^(\d+)([kmg])$/i.exec(memory.trim());
  const bytes = mem ? Number(mem[1]) * { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[mem[2]!.toLowerCase() as 'k' | 'm' | 'g'] : 0;
  const requestMi = Math.max(16, Math.floor(bytes / 4 / 1024 ** 2));
  const gpus = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v]));
  return {
    requests: { cpu: `${milli}m`, memory: `${requestMi}Mi`, ...gpus },
    limits: { cpu: cpuQuantity(cpus), memory: memoryQuantity(memory), ...gpus },
  };
}

/** The restricted profile's pod half, for a user id (10001 for our image, 999 for the databases' own). */
export function podSecurity(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    // Volumes are re-owned only when their root does not match already: fast restarts on big volumes.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The restricted profile's container half: no escalation, no capabilities, nothing writable but volumes. */
export function containerSecurity() {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** An emptyDir, in memory when it stands in for compose's tmpfs. */
export function emptyDir(name: string, sizeLimit: string, memory = false) {
  return { name, emptyDir: { ...(memory ? { medium: 'Memory' } : {}), sizeLimit } };
}

/** A comment on a key, at a path from the object's root (missing paths are skipped). */
export interface KeyComment {
  path: (string | number)[];
  text: string;
}

function commentAt(doc: Document, path: (string | number)[], text: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return;
  const pair = (parent as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${text.replace(/\n/g, '\n ')}`;
}

/** One file of objects: a header, then each object as its own document with its comments. */
export function yamlFile(header: string, docs: { object: Record<string, unknown>; comment?: string; keys?: KeyComment[] }[]): string {
  const parts = docs.map((d, i) => {
    const doc = new Document(d.object, { aliasDuplicateObjects: false });
    const lines = [...(i === 0 ? [header] : []), ...(d.comment ? [d.comment] : [])];
    if (lines.length > 0) doc.commentBefore = lines.join('\n').split('\n').map((l) => ` ${l}`).join('\n');
    for (const k of d.keys ?? []) commentAt(doc, k.path, k.text);
    return doc.toString({ lineWidth: 0, indentSeq: true });
  });
  return parts.join('---\n');
}
