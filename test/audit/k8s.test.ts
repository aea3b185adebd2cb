/**
 * The K8-xx rules on Kubernetes manifests: a hand-written base as many projects have it trips each
 * rule at its line; the base create-pyimage generates (the good fixture, which must stay what the
 * renderer writes) has no finding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditFiles, auditProject } from '../../generators/audit/index.js';
import { k8sFiles } from '../../generators/render/k8s/index.js';
import { answersFor } from '../../generators/render/matrix.js';
import { buildStack } from '../../generators/stack/build.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const BAD = join(FIXTURES, 'audit-k8s-bad');
const GOOD = join(FIXTURES, 'audit-k8s-good');

/** The good fixture's answers: Flask, Postgres, migrations, a worker, Redis, an Ingress with TLS. */
export const GOOD_ANSWERS = answersFor({
  name: 'shop',
  kubeNamespace: 'shop',
  framework: 'flask',
  appModule: 'app:app',
  database: 'postgres',
  migrations: 'flask-db',
  worker: 'rq worker',
  redis: true,
  env: ['DATABASE_URL={db.url}', 'REDIS_URL={redis.url}', 'SECRET_KEY={secret.secret_key}'],
  kubeIngress: true,
  domains: ['shop.example.com'],
  kubeCertIssuer: 'letsencrypt-prod',
});

function lineOf(dir: string, file: string, marker: string): number {
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  const hits = lines.flatMap((t, i) => (t.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`marker ${JSON.stringify(marker)} found ${hits.length} times in ${file}`);
  return hits[0]!;
}

const k8 = (findings: { ruleId: string; file: string; line: number }[]) =>
  findings.filter((f) => f.ruleId.startsWith('K8-')).map((f) => `${f.ruleId} ${f.file}:${f.line}`).sort();

describe('K8 rules', () => {
  it('find every problem of a hand-written base at its line', async () => {
    const report = await auditProject(BAD, { shellcheck: 'off' });
    const at = (rule: string, file: string, marker: string, offset = 0) => `${rule} k8s/${file}:${lineOf(join(BAD, 'k8s'), file, marker) + offset}`;
    // A key that is missing is reported at the nearest one that is there (the pod's spec, the container).
    const webPod = (rule: string) => at(rule, 'deployment.yaml', 'hostNetwork: true', -1);
    const web = (rule: string) => at(rule, 'deployment.yaml', '- name: web');
    expect(k8(report.findings)).toEqual(
      [
        webPod('K8-01'), webPod('K8-01'), // runAsNonRoot, seccomp
        at('K8-09', 'deployment.yaml', 'hostNetwork: true'),
        web('K8-02'), web('K8-02'), // escalation, capabilities
        web('K8-03'),
        web('K8-04'), web('K8-04'), // liveness, readiness
        web('K8-05'),
        at('K8-07', 'deployment.yaml', 'image: shop/web:latest'),
        at('K8-08', 'deployment.yaml', 'hostPath:', -1),
        at('K8-06', 'deployment.yaml', 'name: DATABASE_URL'),
        at('K8-06', 'deployment.yaml', 'name: DJANGO_SECRET_KEY'),
        at('K8-06', 'deployment.yaml', 'stringData:'),
        at('K8-02', 'worker.yml', 'allowPrivilegeEscalation: false', -1), // adds SYS_ADMIN
        at('K8-04', 'worker.yml', '- name: worker'),
        at('K8-05', 'worker.yml', 'resources:'),
        at('K8-07', 'worker.yml', 'image: shop/web'),
        at('K8-06', 'kustomization.yaml', '- API_TOKEN=', -1),
        at('K8-06', 'config.yaml', 'STRIPE_API_KEY'),
      ].sort(),
    );
    // A *_FILE path, a plain setting and a configMapGenerator literal are no findings.
    expect(report.findings.filter((f) => /DB_PASSWORD_FILE|SECRET_KEY_FILE|LOG_LEVEL/.test(f.message))).toEqual([]);
  });

  it('the generated base has no finding, and the good fixture is what the renderer writes today', () => {
    const files = k8sFiles(buildStack(GOOD_ANSWERS));
    for (const f of files) expect(readFileSync(join(GOOD, f.path), 'utf8'), f.path).toBe(f.content);
    expect(readdirSync(join(GOOD, 'deploy/k8s')).sort()).toEqual(files.map((f) => f.path.split('/').pop()).sort());
    const report = auditFiles(files.map((f) => ({ path: f.path, content: f.content })), { shellcheck: 'off' });
    expect(report.files.every((f) => f.kind === 'kubernetes')).toBe(true);
    expect(report.findings).toEqual([]);
  });

  it('tells manifests by content, not name, and leaves other YAML alone', () => {
    const report = auditFiles(
      [
        { path: 'ops/web.yml', content: 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n    - name: x\n      image: nginx\n' },
        { path: 'ops/notes.yml', content: 'kind: notes\nitems: [1]\n' },
      ],
      { shellcheck: 'off' },
    );
    expect(report.files).toEqual([{ path: 'ops/web.yml', kind: 'kubernetes' }]);
    expect(k8(report.findings)).toEqual(['K8-01 ops/web.yml:4', 'K8-01 ops/web.yml:4', 'K8-02 ops/web.yml:6', 'K8-02 ops/web.yml:6', 'K8-03 ops/web.yml:6', 'K8-05 ops/web.yml:6', 'K8-07 ops/web.yml:7']);
  });
});
