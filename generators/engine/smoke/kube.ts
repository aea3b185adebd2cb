/**
 * `create-pyimage smoke --kube`: deploy/k8s proven on a real engine without a cluster. It builds the
 * image with compose (Podman), renders the base with `kubectl kustomize` (secrets from a private
 * copy of secrets/), applies the Podman-only overlay (kube-overlay.ts), then plays it with
 * `podman kube play` in the order scripts/deploy-k8s.sh keeps: backing services until healthy, the
 * migration Job until it exited 0, then app and worker until healthy. It probes the health path,
 * checks the app reaches the database, that the pods run as UID 10001 with a read-only root, and
 * removes everything (`podman kube down --force`, the network). Same JSON result, its own steps.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { K8S_DIR, kubeSecretFiles } from '../../render/k8s/index.js';
import { appImage } from '../../render/k8s/workloads.js';
import { activeImageOverrides, buildStack } from '../../stack/index.js';
import { stackSecrets } from '../../render/app-env.js';
import { BUILD_IMAGES } from './compose.js';
import { podChecks } from './kube-checks.js';
import { podmanOverlay } from './kube-overlay.js';
import { containerOf, learnAddresses, local, play, remote, untilExited, untilHealthy, type KubeRun } from './kube-podman.js';
import type { SmokeOptions } from './options.js';
import { ensureSecrets } from './project.js';
import { smokeProject } from './run.js';
import { lastLines, MINUTE, StepFailure, type Context, type SmokeResult, type StepSpec } from './steps.js';

function kubeSteps(k: KubeRun): StepSpec[] {
  const timeout = (ctx: Context) => ctx.options.timeout ?? 180;
  return [
    {
      name: 'kubectl and podman kube',
      run: async () => {
        const kubectl = await execa('kubectl', ['version', '--client', '-o', 'json'], { reject: false, timeout: MINUTE });
        if (kubectl.exitCode !== 0) throw new StepFailure('kubectl is not installed: on Debian, apt-get install kubernetes-client (trixie: kubectl 1.32)');
        const podman = await remote(['version', '--format', '{{.Server.Version}}'], MINUTE);
        if (!podman.ok) throw new StepFailure(`the Podman API service does not answer (podman system service): ${lastLines(podman.all, 3)}`);
        const v = JSON.parse(String(kubectl.stdout)).clientVersion;
        return `kubectl ${v.gitVersion}, Podman ${podman.stdout.trim()}`;
      },
    },
    BUILD_IMAGES,
    {
      name: 'render manifests (kubectl kustomize)',
      run: async (ctx) => {
        if (!existsSync(join(ctx.dir, K8S_DIR, 'kustomization.yaml'))) throw new StepFailure(`${K8S_DIR}/kustomization.yaml is missing: regenerate with \`npx create-pyimage update\``);
        ensureSecrets(ctx.dir, stackSecrets(ctx.answers));
        const model = buildStack(ctx.answers);
        k.dir = mkdtempSync(join(tmpdir(), 'pyimage-kube-'));
        // A private copy: the secret files go next to the base as scripts/deploy-k8s.sh puts them, not into the project.
        cpSync(join(ctx.dir, K8S_DIR), join(k.dir, 'base'), { recursive: true });
        mkdirSync(join(k.dir, 'base', 'secrets'), { recursive: true, mode: 0o700 });
        for (const s of kubeSecretFiles(model)) cpSync(join(ctx.dir, 'secrets', s), join(k.dir, 'base', 'secrets', s));
        const rendered = await execa('kubectl', ['kustomize', join(k.dir, 'base')], { reject: false, timeout: MINUTE });
        if (rendered.exitCode !== 0) throw new StepFailure('kubectl kustomize failed', lastLines(String(rendered.stderr), 20));
        const objects = parseAllDocuments(String(rendered.stdout)).map((d) => d.toJS() as Record<string, any>);
        const images: Record<string, string> = {};
        for (const o of activeImageOverrides(ctx.answers)) {
          const value = ctx.project.env[o.variable];
          if (value && o.variable !== 'PYTHON_IMAGE') images[o.default.replace(/:[^:/]+$/, '')] = value;
        }
        k.overlay = podmanOverlay({ objects, prefix: ctx.project.name, appImage: { from: appImage(model), to: ctx.tag }, images });
        const kinds = [...new Set(objects.map((o) => o.kind))].join(', ');
        return `${objects.length} objects (${kinds}); Podman overlay: ${k.overlay.skipped.length} not played (${[...new Set(k.overlay.skipped.map((s) => s.split(' ')[0]))].join(', ')})`;
      },
    },
    ...(['backing services', 'migration', 'app'] as const).map((name): StepSpec => ({
      name: name === 'migration' ? 'migration Job completed' : name === 'app' ? 'app and worker ready' : 'backing services ready',
      run: async (ctx) => {
        const phase = k.overlay!.phases.find((p) => p.name === name);
        if (!phase) return { detail: `none in this stack`, notice: true };
        if (!k.network) {
          k.network = `${ctx.project.name}-net`;
          const made = await remote(['network', 'create', k.network], MINUTE);
          if (!made.ok) throw new StepFailure(`podman network create failed: ${lastLines(made.all, 3)}`);
        }
        await play(ctx, k, phase);
        const containers = phase.workloads.map((w) => containerOf(k.overlay!, w));
        if (name === 'migration') return await untilExited(ctx, containers, timeout(ctx));
        if (containers.length === 0) return { detail: 'secrets and settings only', notice: true };
        const healthy = await untilHealthy(ctx, containers, timeout(ctx));
        await learnAddresses(k, phase);
        return `${healthy}: running, probes pass (podman healthcheck run)${Object.keys(k.addresses).length > 0 ? `; ${Object.keys(k.addresses).join(', ')} as host aliases` : ''}`;
      },
    })),
    ...podChecks(k),
  ];
}

async function kubeTeardown(_ctx: Context, k: KubeRun): Promise<string> {
  const problems: string[] = [];
  for (const file of [...k.played].reverse()) {
    const r = await remote(['kube', 'down', '--force', file], 3 * MINUTE);
    if (!r.ok) problems.push(`kube down ${file}: ${lastLines(r.all, 3)}`);
  }
  if (k.network) {
    const r = await remote(['network', 'rm', '--force', k.network], MINUTE);
    if (!r.ok && !/no such network/i.test(r.all)) problems.push(`network rm: ${lastLines(r.all, 3)}`);
  }
  if (k.dir) rmSync(k.dir, { recursive: true, force: true });
  const prefix = _ctx.project.name;
  // kube down --force leaves the volume Podman made for a Secret volume: it is the run's, by name.
  for (const volume of (await local(['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((n) => n.startsWith(`${prefix}-`))) {
    const r = await remote(['volume', 'rm', '--force', volume], MINUTE);
    if (!r.ok) problems.push(`volume rm ${volume}: ${lastLines(r.all, 3)}`);
  }
  const left = [
    ...(await local(['pod', 'ps', '--format', '{{.Name}}'])).stdout.split('\n'),
    ...(await local(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n'),
    ...(await local(['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n'),
    ...(await local(['secret', 'ls', '--format', '{{.Name}}'])).stdout.split('\n'),
  ].filter((n) => n.startsWith(prefix));
  if (problems.length > 0 || left.length > 0) throw new StepFailure([...problems, ...(left.length > 0 ? [`left: ${left.join(', ')}`] : [])].join('; '));
  return `no pods, containers, volumes, secrets or network left for ${prefix}`;
}

export function smokeKube(dir: string, options: SmokeOptions = {}): Promise<SmokeResult> {
  const k: KubeRun = { played: [], addresses: {} };
  return smokeProject(dir, { ...options, engine: 'podman' }, { steps: kubeSteps(k), teardown: (ctx) => kubeTeardown(ctx, k) });
}

