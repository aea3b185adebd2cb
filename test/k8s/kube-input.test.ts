/**
 * Bad Kubernetes answers through the CLI: exit 2, the field and the fix named, nothing written.
 * Good ones write deploy/k8s and scripts/deploy-k8s.sh.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

function project(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.py'), 'from fastapi import FastAPI\napp = FastAPI()\n');
  writeFileSync(join(dir, 'requirements.txt'), 'fastapi==0.115.0\nuvicorn==0.30.0\npsycopg[binary]==3.2.1\n');
  return dir;
}

describe('Kubernetes answers on the command line', () => {
  it.each([
    [['--kube-namespace', 'Shop_Prod'], /kube-namespace: "Shop_Prod" is not a DNS label/],
    [['--kube-namespace', `a${'b'.repeat(63)}`], /kube-namespace: .* is not a DNS label.*at most 63/],
    [['--database', 'postgres', '--external-db', '--kube-db', 'in-cluster'], /kube-db: --kube-db in-cluster and --external-db disagree; give one of them/],
    [['--database', 'none', '--external-db'], /external-db: there is no database to keep outside the cluster/],
    [['--kube-cert-issuer', 'letsencrypt-prod'], /kube-cert-issuer: is only used with --kube-ingress/],
  ])('%j exits 2, names the field, writes nothing', async (flags, message) => {
    const work = tempDir('kube-input-');
    try {
      const dir = project(work.dir, 'svc');
      const r = await runCli([dir, '--yes', ...flags]);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(readdirSync(dir).sort()).toEqual(['main.py', 'requirements.txt']);
    } finally {
      work.cleanup();
    }
  });

  it('a good namespace and --external-db write the base without a database and the deploy script', async () => {
    const work = tempDir('kube-input-');
    try {
      const dir = project(work.dir, 'svc');
      const r = await runCli([dir, '--yes', '--database', 'postgres', '--external-db', '--kube-namespace', 'shop-prod', '--kube-ingress', '--domain', 'shop.example.com']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(readdirSync(join(dir, 'deploy/k8s')).sort()).toEqual(['app.yaml', 'config.yaml', 'kustomization.yaml', 'namespace.yaml', 'network-policies.yaml']);
      expect(existsSync(join(dir, 'scripts/deploy-k8s.sh'))).toBe(true);
    } finally {
      work.cleanup();
    }
  });
});
