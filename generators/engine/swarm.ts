/**
 * Docker Swarm: a single-node swarm that creates itself when needed and leaves again, stacks
 * deployed under a name of their own, their convergence, and proof that nothing is left after
 * removal. Only `docker` commands (through docker.ts); nothing here knows about smoke steps.
 */
import { existsSync } from 'node:fs';
import { docker, type RunResult } from './docker.js';

const MINUTE = 60_000;
const NAMESPACE = 'com.docker.stack.namespace';

function lines(r: RunResult): string[] {
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

export interface SwarmSession {
  /** This run ran `docker swarm init`: it leaves the swarm again at the end. */
  created: boolean;
  nodeId: string;
  /** docker_gwbridge existed before: a swarm we leave must not take it with it. */
  hadGatewayBridge: boolean;
}

/** The engine's swarm state: "inactive", or "active" with whether this node is a manager. */
export async function swarmState(): Promise<{ state: string; manager: boolean; nodeId: string }> {
  const r = await docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}'], { timeout: MINUTE });
  const [state = '', manager = '', nodeId = ''] = r.stdout.trim().split(' ');
  return { state, manager: manager === 'true', nodeId };
}

/** Joins the swarm this engine is a manager of, or makes a single-node one (advertised on loopback). */
export async function ensureSwarm(): Promise<SwarmSession> {
  const before = await swarmState();
  if (before.state === 'active') {
    if (!before.manager) throw new Error('this engine is a swarm worker: run the smoke test on a manager');
    return { created: false, nodeId: before.nodeId, hadGatewayBridge: true };
  }
  if (before.state !== 'inactive') throw new Error(`the swarm is "${before.state}": wait, or leave it (docker swarm leave --force)`);
  const bridge = await docker(['network', 'inspect', 'docker_gwbridge'], { timeout: MINUTE });
  const init = await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1'], { timeout: 2 * MINUTE });
  if (!init.ok) throw new Error(`docker swarm init failed: ${init.stderr.trim() || init.stdout.trim()}`);
  const after = await swarmState();
  return { created: true, nodeId: after.nodeId, hadGatewayBridge: bridge.ok };
}

/** Leaves a swarm this run created, with the gateway bridge it brought; a user's swarm stays. */
export async function releaseSwarm(session: SwarmSession): Promise<string> {
  if (!session.created) return 'the swarm stays (it was there before)';
  const leave = await docker(['swarm', 'leave', '--force'], { timeout: 2 * MINUTE, detached: true });
  if (!leave.ok) throw new Error(`docker swarm leave failed: ${leave.stderr.trim()}`);
  if (!session.hadGatewayBridge) await docker(['network', 'rm', 'docker_gwbridge'], { timeout: MINUTE, detached: true });
  return 'left the single-node swarm it created';
}

/** Labels this node for the stateful services no node carries yet; returns the labels added. */
export async function labelNode(nodeId: string, labels: string[]): Promise<string[]> {
  const added: string[] = [];
  for (const label of labels) {
    const has = await docker(['node', 'ls', '--quiet', '--filter', `node.label=${label}=true`], { timeout: MINUTE });
    if (lines(has).length > 0) continue;
    const r = await docker(['node', 'update', '--label-add', `${label}=true`, nodeId], { timeout: MINUTE });
    if (!r.ok) throw new Error(`docker node update --label-add ${label}=true failed: ${r.stderr.trim()}`);
    added.push(label);
  }
  return added;
}

export async function unlabelNode(nodeId: string, labels: string[]): Promise<void> {
  for (const label of labels) await docker(['node', 'update', '--label-rm', label, nodeId], { timeout: MINUTE, detached: true });
}

/**
 * Does the routing mesh work on this engine's host? It needs the kernel's IPVS; without it the
 * published port and service virtual IPs never answer (seen on hosts whose kernel has no ip_vs).
 * Only knowable for a local engine; a remote one is assumed to have it.
 */
export function routingMeshAvailable(): boolean {
  const host = process.env.DOCKER_HOST ?? '';
  if (host !== '' && !host.startsWith('unix://')) return true;
  return existsSync('/proc/sys/net/ipv4/vs');
}

export interface ServiceState {
  name: string;
  mode: string;
  replicas: string;
  updateState: string;
  /** Replicated: running == desired > 0; jobs: every task completed; no update in progress. */
  converged: boolean;
  /** An update rolled back or paused: waiting longer will not help. */
  failed: boolean;
}

export function isConverged(mode: string, replicas: string, updateState: string): boolean {
  if (updateState === 'updating' || updateState.startsWith('rollback')) return false;
  if (mode.includes('job')) {
    const m = /\((\d+)\/(\d+) completed\)/.exec(replicas);
    return Boolean(m && m[1] === m[2]);
  }
  const m = /^(\d+)\/(\d+)/.exec(replicas);
  return Boolean(m && m[1] === m[2] && m[2] !== '0');
}

export async function stackServices(stack: string): Promise<ServiceState[]> {
  const r = await docker(['service', 'ls', '--filter', `label=${NAMESPACE}=${stack}`, '--format', '{{.Name}}|{{.Mode}}|{{.Replicas}}'], { timeout: MINUTE });
  const out: ServiceState[] = [];
  for (const line of lines(r)) {
    const [name = '', mode = '', replicas = ''] = line.split('|');
    const inspect = await docker(['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', name], { timeout: MINUTE });
    const updateState = inspect.stdout.trim();
    out.push({
      name,
      mode,
      replicas,
      updateState,
      converged: isConverged(mode, replicas, updateState),
      failed: updateState === 'paused' || updateState.startsWith('rollback'),
    });
  }
  return out;
}

export interface TaskState {
  id: string;
  service: string;
  desired: string;
  state: string;
  error: string;
  exitCode: number | undefined;
  container: string;
}

/** Every task of a service (the newest first), with its container and exit code. */
export async function serviceTasks(service: string): Promise<TaskState[]> {
  const ids = lines(await docker(['service', 'ps', '--quiet', '--no-trunc', service], { timeout: MINUTE }));
  if (ids.length === 0) return [];
  const format = '{{.ID}}|{{.DesiredState}}|{{.Status.State}}|{{.Status.Err}}|{{with .Status.ContainerStatus}}{{.ExitCode}}|{{.ContainerID}}{{end}}';
  const r = await docker(['inspect', '--format', format, ...ids], { timeout: MINUTE });
  return lines(r).map((line) => {
    const [id = '', desired = '', state = '', error = '', exit = '', container = ''] = line.split('|');
    return { id, service, desired, state, error, exitCode: exit === '' ? undefined : Number(exit), container };
  });
}

/** The container of a running task of the service, for exec. */
export async function runningContainer(service: string): Promise<string | undefined> {
  const r = await docker(['ps', '--quiet', '--filter', `label=com.docker.swarm.service.name=${service}`, '--filter', 'status=running'], { timeout: MINUTE });
  return lines(r)[0];
}

/** The port the routing mesh publishes for a target port, or undefined. */
export async function publishedPort(service: string, target: number): Promise<string | undefined> {
  const r = await docker(['service', 'inspect', '--format', '{{range .Endpoint.Ports}}{{.TargetPort}}:{{.PublishedPort}} {{end}}', service], { timeout: MINUTE });
  return r.stdout.trim().split(/\s+/).map((p) => p.split(':')).find(([t]) => t === String(target))?.[1];
}

/** Logs of a service, or of one task when given its id. */
export async function serviceLogs(service: string, tail = 40): Promise<string> {
  const r = await docker(['service', 'logs', '--raw', '--no-trunc', '--tail', String(tail), service], { timeout: MINUTE });
  return r.all;
}

/** What is still there for a stack: services, containers, secrets, configs, networks, volumes. */
export async function stackLeftovers(stack: string): Promise<string[]> {
  const filter = `label=${NAMESPACE}=${stack}`;
  const kinds: [string, string[]][] = [
    ['service', ['service', 'ls', '--quiet', '--filter', filter]],
    ['container', ['ps', '--all', '--quiet', '--filter', filter]],
    ['secret', ['secret', 'ls', '--quiet', '--filter', filter]],
    ['config', ['config', 'ls', '--quiet', '--filter', filter]],
    ['network', ['network', 'ls', '--quiet', '--filter', filter]],
    ['volume', ['volume', 'ls', '--quiet', '--filter', filter]],
  ];
  const results = await Promise.all(kinds.map(([, args]) => docker(args, { timeout: MINUTE })));
  return results.flatMap((r, i) => lines(r).map((id) => `${kinds[i]![0]} ${id}`));
}

/**
 * `docker stack rm`, then wait until its tasks' containers are gone and remove its volumes
 * (stack rm keeps volumes, and a volume in use cannot go); returns what is still there.
 */
export async function removeStack(stack: string, waitMs = 3 * MINUTE): Promise<string[]> {
  await docker(['stack', 'rm', stack], { timeout: 2 * MINUTE, detached: true });
  const deadline = Date.now() + waitMs;
  let left = await stackLeftovers(stack);
  while (Date.now() < deadline) {
    const volumes = left.filter((l) => l.startsWith('volume ')).map((l) => l.slice('volume '.length));
    const busy = left.some((l) => !l.startsWith('volume '));
    if (!busy && volumes.length > 0) await docker(['volume', 'rm', ...volumes], { timeout: MINUTE, detached: true });
    if (left.length === 0) return [];
    await new Promise((r) => setTimeout(r, 1_000));
    left = await stackLeftovers(stack);
  }
  return left;
}
