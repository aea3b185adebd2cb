/**
 * The Podman-only overlay of `smoke --kube` as data: what it changes for Podman, and that the base
 * objects it reads stay as a cluster gets them.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { podmanOverlay, withHostAliases } from '../../generators/engine/smoke/kube-overlay.js';
import { k8sFiles } from '../../generators/render/k8s/index.js';
import { appImage } from '../../generators/render/k8s/workloads.js';
import { answersFor } from '../../generators/render/matrix.js';
import { buildStack } from '../../generators/stack/build.js';

const model = buildStack(answersFor({ framework: 'flask', appModule: 'app:app', database: 'postgres', migrations: 'alembic', worker: 'rq worker', redis: true, stateDirs: ['/data/uploads'] }));
const objects = k8sFiles(model)
  .filter((f) => !f.path.endsWith('kustomization.yaml'))
  .flatMap((f) => parseAllDocuments(f.content).map((d) => d.toJS() as Record<string, any>));

describe('the Podman overlay', () => {
  const before = structuredClone(objects);
  const overlay = podmanOverlay({ objects, prefix: 'run1', appImage: { from: appImage(model), to: 'localhost/demo:0.1.0' }, images: { postgres: 'mirror/postgres:17' } });
  const all = overlay.phases.flatMap((p) => p.objects);
  const named = (name: string) => all.find((o) => o.metadata.name === name)!;

  it('plays in deploy order, and lists what Podman does not play', () => {
    expect(overlay.phases.map((p) => [p.name, p.workloads])).toEqual([
      ['backing services', ['run1-db', 'run1-redis']],
      ['migration', ['run1-migrate']],
      ['app', ['run1-app', 'run1-worker']],
    ]);
    expect(new Set(overlay.skipped.map((s) => s.split(' ')[0]))).toEqual(new Set(['Namespace', 'Service', 'PodDisruptionBudget', 'NetworkPolicy']));
    expect(overlay.services).toEqual({ app: 'run1-app', db: 'run1-db', redis: 'run1-redis' });
  });

  it('turns a StatefulSet into a Deployment of one with its claim, and prefixes claims and secrets', () => {
    const db = named('run1-db');
    expect(db.kind).toBe('Deployment');
    expect(db.spec.replicas).toBe(1);
    expect(db.spec.template.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'run1-db-data' } });
    expect(all.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name).sort()).toEqual(['run1-db-data', 'run1-redis-data', 'run1-state-data-uploads']);
    expect(db.spec.template.spec.containers[0].image).toBe('mirror/postgres:17');
  });

  it('runs httpGet probes through Python, mounts secrets 0444 and runs the local build', () => {
    const app = named('run1-app').spec.template.spec;
    expect(app.containers[0].image).toBe('localhost/demo:0.1.0');
    expect(app.containers[0].readinessProbe.exec.command).toEqual(['python', '-c', "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]);
    expect(app.containers[0].readinessProbe.httpGet).toBeUndefined();
    const secrets = app.volumes.find((v: any) => v.name === 'secrets').secret;
    expect(secrets.defaultMode).toBe(0o444);
    // (kubectl kustomize adds the content hash before the overlay sees it.)
    expect(secrets.secretName).toBe('run1-stack-secrets');
  });

  it('adds Service names as host aliases, and leaves the base objects as they were', () => {
    const app = withHostAliases(overlay.phases[2]!, { db: '10.0.0.2' });
    expect(app.objects.find((o) => o.metadata.name === 'run1-app')!.spec.template.spec.hostAliases).toEqual([{ ip: '10.0.0.2', hostnames: ['db'] }]);
    expect(objects).toEqual(before);
  });
});
