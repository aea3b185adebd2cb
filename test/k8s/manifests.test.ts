/**
 * deploy/k8s for every combination of the matrix (with the Kubernetes answers varied over it):
 * every object validates against the Kubernetes API schema (kubernetes-models) with no unknown
 * field, carries the app.kubernetes.io labels, and the pods meet the restricted Pod Security
 * Standard; no manifest holds a secret. `kubectl kustomize` renders each distinct shape offline.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Answers } from '../../generators/answers/types.js';
import { allAnswerCombinations, answersFor } from '../../generators/render/matrix.js';
import { buildStack } from '../../generators/stack/build.js';
import { k8sFiles, kubeSecretFiles } from '../../generators/render/k8s/index.js';
import { tempDir } from '../helpers.js';
import { kubeProblems } from './kube-schema.js';

const LABELS = ['name', 'instance', 'component', 'part-of', 'managed-by'].map((l) => `app.kubernetes.io/${l}`);
const SECRET_VALUE = 'do-not-leak-3f1c';

/** The Kubernetes answers, varied across the matrix (they change nothing else it checks). */
function kubeVariant(a: Answers, i: number): Answers {
  const ingress = i % 3 === 0 || a.domains.length > 0;
  return answersFor({
    ...a,
    kubeNamespace: i % 5 === 0 ? `ns-${i}` : a.name,
    kubeHpa: i % 2 === 1 && a.stateDirs.length === 0,
    kubeIngress: ingress,
    kubeCertIssuer: ingress && a.domains.length > 0 && i % 2 === 0 ? 'letsencrypt-prod' : '',
    kubeDb: a.database !== 'none' && i % 4 === 1 ? 'external' : 'in-cluster',
    externalDb: a.database !== 'none' && i % 4 === 1,
    kubeGpuResource: a.gpu === 'render' && i % 2 === 0 ? 'amd.com/gpu' : 'gpu.intel.com/i915',
  });
}

const combos = allAnswerCombinations().map(kubeVariant);
const rendered = new Map(combos.map((a) => [a, k8sFiles(buildStack(a))]));

function objectsOf(a: Answers) {
  const files = rendered.get(a) ?? k8sFiles(buildStack(a));
  const objects = files
    .filter((f) => !f.path.endsWith('kustomization.yaml'))
    .flatMap((f) => parseAllDocuments(f.content).map((d) => ({ file: f.path, object: d.toJS() as Record<string, any> })));
  return { files, objects };
}

function podSpecs(object: Record<string, any>): Record<string, any>[] {
  return object.spec?.template?.spec ? [object.spec.template.spec] : [];
}

describe('deploy/k8s over the matrix', () => {
  it(`validates against the Kubernetes schema, labelled and restricted, for all ${combos.length} combinations`, () => {
    const problems: string[] = [];
    for (const a of combos) {
      const { objects } = objectsOf(a);
      for (const { file, object } of objects) {
        problems.push(...kubeProblems(object).map((p) => `${file}: ${p}`));
        const missing = LABELS.filter((l) => !object.metadata?.labels?.[l]);
        if (missing.length > 0) problems.push(`${file} ${object.kind}: no ${missing.join(', ')}`);
        for (const spec of podSpecs(object)) {
          const pod = spec.securityContext ?? {};
          if (pod.runAsNonRoot !== true || pod.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${file}: pod not restricted`);
          for (const c of spec.containers) {
            const s = c.securityContext ?? {};
            if (s.allowPrivilegeEscalation !== false || s.readOnlyRootFilesystem !== true || s.capabilities?.drop?.[0] !== 'ALL') problems.push(`${file} ${c.name}: container not restricted`);
            if (!c.resources?.limits?.memory || !c.resources?.limits?.cpu || !c.resources?.requests?.cpu) problems.push(`${file} ${c.name}: no limits`);
            if (/:latest$|^[^:]+$/.test(c.image)) problems.push(`${file} ${c.name}: untagged image ${c.image}`);
          }
        }
      }
      if (problems.length > 0) break;
    }
    expect(problems).toEqual([]);
  });

  it('gives our pods the user 10001 and the databases their own non-root user', () => {
    const { objects } = objectsOf(answersFor({ framework: 'flask', appModule: 'app:app', database: 'postgres', migrations: 'alembic', worker: 'rq worker', redis: true }));
    const users = Object.fromEntries(objects.filter((o) => podSpecs(o.object).length > 0).map((o) => [o.object.metadata.name, o.object.spec.template.spec.securityContext.runAsUser]));
    expect(users).toEqual({ app: 10001, worker: 10001, migrate: 10001, db: 999, redis: 999 });
  });

  it('takes requests and limits from --cpus and --memory, the grace from the stop grace, and probes the health path', () => {
    const { objects } = objectsOf(answersFor({ cpus: '2', memory: '1g', healthPath: '/healthz' }));
    const app = objects.find((o) => o.object.kind === 'Deployment')!.object;
    const c = app.spec.template.spec.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '2000m', memory: '1Gi' } });
    expect(app.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(app.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(c[probe].httpGet.path).toBe('/healthz');
    expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
  });

  it('asks the device plugin for the GPU: nvidia.com/gpu, or the resource the user names for render', () => {
    const gpuOf = (a: Answers, name: string) => objectsOf(a).objects.find((o) => o.object.metadata.name === name && o.object.kind === 'Deployment')!.object.spec.template.spec.containers[0].resources.limits;
    expect(gpuOf(answersFor({ gpu: 'nvidia' }), 'app')['nvidia.com/gpu']).toBe(1);
    const render = answersFor({ gpu: 'render', kubeGpuResource: 'amd.com/gpu', worker: 'python -m w', gpuServices: 'worker' });
    expect(gpuOf(render, 'worker')['amd.com/gpu']).toBe(1);
    expect(gpuOf(render, 'app')['amd.com/gpu']).toBeUndefined();
  });

  it('keeps secrets out: values are tokens the entrypoint fills, the files come from secrets/ through the secretGenerator', () => {
    const a = answersFor({ database: 'postgres', env: ['DATABASE_URL={db.url}', 'TOKEN={secret.api_token}'] });
    const { files } = objectsOf(a);
    const all = files.map((f) => f.content).join('\n');
    expect(all).not.toContain(SECRET_VALUE);
    expect(all).toContain('DATABASE_URL: postgresql://demo_service:{secret-url:db_password}@db:5432/demo_service');
    expect(all).not.toMatch(/kind: Secret/);
    const kustomization = files.find((f) => f.path === 'deploy/k8s/kustomization.yaml')!.content;
    expect(kustomization).toContain('- api_token=secrets/api_token');
    expect(kustomization).toContain('- db_password=secrets/db_password');
  });

  it('with --external-db runs no database and reads its address from the Secret the user creates', () => {
    const a = answersFor({ database: 'postgres', kubeDb: 'external', externalDb: true, env: ['DATABASE_URL={db.url}', 'LITERAL=a$(b)'] });
    const { files, objects } = objectsOf(a);
    expect(objects.some((o) => o.object.kind === 'StatefulSet')).toBe(false);
    const c = objects.find((o) => o.object.kind === 'Deployment')!.object.spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: 'EXTERNAL_DB_HOST', valueFrom: { secretKeyRef: { name: 'external-db', key: 'host' } } });
    expect(c.env).toContainEqual({ name: 'DATABASE_URL', value: 'postgresql://$(EXTERNAL_DB_USER):{secret-url:db_password}@$(EXTERNAL_DB_HOST):$(EXTERNAL_DB_PORT)/$(EXTERNAL_DB_NAME)' });
    // Not expanded (a ConfigMap value), so written as given.
    expect(files.find((f) => f.path.endsWith('config.yaml'))!.content).toContain('LITERAL: a$(b)');
    expect(kubeSecretFiles(buildStack(a))).not.toContain('db_password');
  });

  it('renders offline with kubectl kustomize for each distinct shape', async () => {
    const { stdout } = await execa('kubectl', ['version', '--client', '-o', 'json']);
    expect(Number(JSON.parse(stdout).clientVersion.minor.replace(/\D/g, ''))).toBeGreaterThanOrEqual(32);
    const shapes = new Map<string, Answers>();
    for (const a of combos) {
      const key = rendered.get(a)!.map((f) => f.path).join(',') + `|${a.kubeDb}|${a.kubeIngress}`;
      if (!shapes.has(key)) shapes.set(key, a);
    }
    for (const a of shapes.values()) {
      const { dir, cleanup } = tempDir('k8s-');
      const model = buildStack(a);
      for (const f of k8sFiles(model)) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.content);
      }
      mkdirSync(join(dir, 'deploy/k8s/secrets'), { recursive: true });
      for (const s of kubeSecretFiles(model)) writeFileSync(join(dir, 'deploy/k8s/secrets', s), SECRET_VALUE);
      const { stdout: rendered } = await execa('kubectl', ['kustomize', join(dir, 'deploy/k8s')]);
      const docs = parseAllDocuments(rendered).map((d) => d.toJS() as Record<string, any>);
      for (const d of docs) {
        expect(kubeProblems(d)).toEqual([]);
        if (d.kind !== 'Namespace') expect(d.metadata.namespace).toBe(a.kubeNamespace);
      }
      const secret = docs.find((d) => d.kind === 'Secret');
      if (kubeSecretFiles(model).length > 0) expect(Buffer.from(Object.values(secret!.data as Record<string, string>)[0]!, 'base64').toString()).toBe(SECRET_VALUE);
      cleanup();
    }
    expect(shapes.size).toBeGreaterThan(5);
  }, 60_000);
});

describe('update keeps deploy/k8s in step', () => {
  it('merges a new answer into a manifest the user edited, keeping the edit (several documents, line by line)', async () => {
    const { mergeFile } = await import('../../generators/update/merge.js');
    const app = (a: Answers) => k8sFiles(buildStack(a)).find((f) => f.path.endsWith('/app.yaml'))!.content;
    const base = app(answersFor({}));
    const yours = base.replace('  replicas: 2\n', '  replicas: 3\n');
    const next = app(answersFor({ cpus: '2' }));
    const merged = mergeFile('deploy/k8s/app.yaml', yours, base, next);
    expect(merged.clean).toBe(true);
    const docs = parseAllDocuments(merged.text).map((d) => d.toJS() as Record<string, any>);
    expect(docs[0]!.spec.replicas).toBe(3);
    expect(docs[0]!.spec.template.spec.containers[0].resources.limits.cpu).toBe('2000m');
    for (const d of docs) expect(kubeProblems(d)).toEqual([]);
  });
});
