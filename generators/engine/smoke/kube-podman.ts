/**
 * Podman as `smoke --kube` drives it: kube play through the API service, container states,
 * healthchecks run by hand (no systemd here), and the run's bookkeeping.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { engineFacts } from '../engines.js';
import { run } from '../docker.js';
import { withHostAliases, type Overlay, type Phase } from './kube-overlay.js';
import { lastLines, MINUTE, StepFailure, type Context } from './steps.js';

export interface KubeRun {
  dir?: string;
  overlay?: Overlay;
  /** Phase files played, in order (torn down in reverse). */
  played: string[];
  network?: string;
  /** Service name -> pod address, once the pods behind it run. */
  addresses: Record<string, string>;
}

export const PODMAN = engineFacts('podman');
/** Through the API service, never the CLI alone: daemons it starts (aardvark-dns) must not inherit our descriptors. */
export const remote = (args: string[], timeout = 3 * MINUTE, signal?: AbortSignal) => run(PODMAN, ['--remote', ...args], { timeout, signal });
export const local = (args: string[], timeout = MINUTE) => run(PODMAN, args, { timeout });

/** The container of a played workload (podman names it <workload>-pod-<container>). */
export function containerOf(overlay: Overlay, workload: string): string {
  for (const phase of overlay.phases) {
    const o = phase.objects.find((x) => x.metadata?.name === workload);
    const c = o?.spec?.template?.spec?.containers?.[0]?.name;
    if (c) return `${workload}-pod-${c}`;
  }
  throw new StepFailure(`no workload ${workload} in the overlay`);
}

export async function state(name: string): Promise<{ status: string; health: string; exitCode: number }> {
  const r = await local(['inspect', '--format', '{{.State.Status}}|{{.State.Health.Status}}|{{.State.ExitCode}}', name]);
  const [status = '', health = '', exit = ''] = r.stdout.trim().split('|');
  return { status, health, exitCode: Number(exit) };
}

/** Runs each container's healthcheck (its probes, as Podman turned them) until all pass: no systemd runs them here. */
export async function untilHealthy(ctx: Context, names: string[], seconds: number): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  const pending = new Set(names);
  while (pending.size > 0 && Date.now() < deadline) {
    if (ctx.signal.aborted) throw new StepFailure('interrupted');
    for (const name of [...pending]) {
      const s = await state(name);
      if (s.status !== 'running') throw new StepFailure(`${name} is ${s.status} (exit ${s.exitCode})`, lastLines((await local(['logs', '--tail', '30', name])).all, 30));
      if (s.health === '') pending.delete(name);
      else if ((await local(['healthcheck', 'run', name])).ok) pending.delete(name);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 1_000));
  }
  if (pending.size > 0) {
    const name = [...pending][0]!;
    throw new StepFailure(`not healthy within ${seconds}s: ${[...pending].join(', ')}`, lastLines((await local(['logs', '--tail', '30', name])).all, 30));
  }
  return names.join(', ');
}

export async function play(ctx: Context, k: KubeRun, phase: Phase): Promise<void> {
  const file = join(k.dir!, `${k.played.length + 1}-${phase.name.replace(/\W+/g, '-')}.yaml`);
  const withAliases = withHostAliases(phase, k.addresses);
  writeFileSync(file, withAliases.objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  k.played.push(file);
  const r = await remote(['kube', 'play', '--network', k.network!, file], 5 * MINUTE, ctx.signal);
  if (!r.ok) throw new StepFailure(`podman kube play (${phase.name}) failed (exit ${r.exitCode ?? '?'})`, lastLines(r.all, 30));
}

/** Records the address of each Service whose pods this phase started (the pod's infra container holds its network). */
export async function learnAddresses(k: KubeRun, phase: Phase): Promise<void> {
  for (const [service, workload] of Object.entries(k.overlay!.services)) {
    if (!phase.workloads.includes(workload)) continue;
    const infra = (await local(['pod', 'inspect', '--format', '{{.InfraContainerID}}', `${workload}-pod`])).stdout.trim();
    const ip = (await local(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', infra])).stdout.trim().split(/\s+/)[0];
    if (ip) k.addresses[service] = ip;
  }
}
export async function untilExited(ctx: Context, names: string[], seconds: number): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  for (const name of names) {
    for (;;) {
      if (ctx.signal.aborted) throw new StepFailure('interrupted');
      const s = await state(name);
      if (s.status === 'exited' && s.exitCode === 0) break;
      if (s.status === 'exited') throw new StepFailure(`${name} exited ${s.exitCode}`, lastLines((await local(['logs', '--tail', '30', name])).all, 30));
      if (Date.now() > deadline) throw new StepFailure(`${name} still ${s.status} after ${seconds}s`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  return `${names.join(', ')} exited 0 (the database answered with the password from the Secret)`;
}

