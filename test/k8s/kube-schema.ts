/**
 * Validation of generated Kubernetes objects with the `kubernetes-models` library (the API's OpenAPI
 * schema as compiled validators; 4.5.1 is built from Kubernetes 1.33, the first release at or above
 * 1.32 it publishes), plus a field-name check: those validators accept keys the API does not know,
 * which the API server would drop silently (or refuse under strict field validation).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';

type ModelClass = new (data: any) => { validate(): void };
const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** Keys whose children are free-form maps (names chosen by the user or by us), not API fields. */
const FREE_FORM = new Set(['labels', 'annotations', 'data', 'stringData', 'matchLabels', 'limits', 'requests', 'nodeSelector', 'selector']);

let knownFields: Set<string> | undefined;

/** Every field name the typed models declare (kubernetes-models' .d.ts files, apimachinery's too). */
function fieldNames(): Set<string> {
  if (knownFields) return knownFields;
  const require = createRequire(import.meta.url);
  const roots = [dirname(require.resolve('kubernetes-models/package.json')), dirname(require.resolve('@kubernetes-models/apimachinery/package.json'))];
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.d.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/^\s+"([A-Za-z$_][\w$-]*)"\??:/gm)) names.add(m[1]!);
    }
  };
  roots.forEach(walk);
  knownFields = names;
  return names;
}

function unknownFields(value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (!fieldNames().has(key)) out.push(`${path}.${key}`);
      // A Service's or a Deployment's `selector` differ: a Service's is a map, a workload's has matchLabels.
      if (FREE_FORM.has(key) && !(key === 'selector' && child && typeof child === 'object' && ('matchLabels' in child || 'matchExpressions' in child))) continue;
      unknownFields(child, `${path}.${key}`, out);
    }
  }
}

/** Problems with one object: an unknown kind, schema errors, or a field no API type has. */
export function kubeProblems(object: Record<string, any>): string[] {
  const kind = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[kind];
  if (!Model) return [`${kind}: no model for this kind`];
  const problems: string[] = [];
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${kind} ${object.metadata?.name}: ${(error as Error).message}`);
  }
  const unknown: string[] = [];
  unknownFields(object, '', unknown);
  if (unknown.length > 0) problems.push(`${kind} ${object.metadata?.name}: unknown fields ${unknown.join(', ')}`);
  return problems;
}
