/**
 * `create-pyimage smoke --swarm`: the same proof as the compose smoke test, on Docker Swarm. On a
 * single-node swarm it makes itself if needed (and leaves it again), builds with compose, deploys
 * deploy/swarm/stack.yml under a stack name of its own, waits until every service converged and
 * is healthy, probes, checks non-root and each service module's Swarm steps, and removes the
 * stack with its secrets, networks and volumes. Same JSON result, its own steps.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { stackSecrets } from '../../render/app-env.js';
import { STACK_FILE } from '../../render/stack.js';
import { docker } from '../docker.js';
import { ensureSwarm, labelNode, publishedPort, releaseSwarm, removeStack, routingMeshAvailable, stackServices, unlabelNode, type ServiceState, type SwarmSession } from '../swarm.js';
import { BUILD_IMAGES, PIP_INDEX_NOT_IN_IMAGE } from './compose.js';
import type { SmokeOptions } from './options.js';
import { ensureSecrets } from './project.js';
import { smokeProject } from './run.js';
import { serviceSteps } from './services/index.js';
import { MINUTE, must, nonRootUid, probe, StepFailure, type Context, type SmokeResult, type StepSpec } from './steps.js';
import { describeServices, notConvergedReport, swarmContainer, swarmService } from './swarm-tasks.js';
import { behindProxy } from './front-door.js';
import { swarmFrontDoorProbe } from './swarm-front-door.js';

type Stack = { services: Record<string, Record<string, any>>; secrets?: Record<string, { file?: string }> } & Record<string, unknown>;

/** What one swarm run learns along the way (a fresh state per run). */
interface SwarmRun {
  session?: SwarmSession;
  labels: string[];
  tempDir?: string;
  /** The app's service answers on the routing mesh (else in host mode: see localStack). */
  mesh: boolean;
}

/** Node labels the stack's placement constraints ask for (`node.labels.X == true`). */
export function requiredLabels(stack: Stack): string[] {
  const out = new Set<string>();
  for (const service of Object.values(stack.services ?? {})) {
    for (const c of (service.deploy?.placement?.constraints ?? []) as string[]) {
      const m = /^node\.labels\.(\S+)\s*==\s*true$/.exec(c.trim());
      if (m) out.add(m[1]!);
    }
  }
  return [...out];
}

/**
 * The stack as deployed by the smoke test, from the user's file: secret files and bind mounts made
 * absolute (the copy lives in a temp directory) and, on a host whose kernel has no IPVS (no routing
 * mesh), the published service (the app, or the proxy in front of it) published in host mode on
 * random ports with DNS round robin, so it can still be probed.
 */
export function localStack(stack: Stack, stackDir: string, mesh: boolean): Stack {
  const out = structuredClone(stack);
  for (const secret of Object.values(out.secrets ?? {})) {
    if (typeof secret.file === 'string') secret.file = resolve(stackDir, secret.file);
  }
  for (const service of Object.values(out.services)) {
    // The proxy's config file, relative to the stack file in the project.
    if (Array.isArray(service.volumes)) {
      service.volumes = service.volumes.map((v: unknown) => {
        if (typeof v !== 'string' || !v.startsWith('.')) return v;
        const at = v.indexOf(':');
        return `${resolve(stackDir, v.slice(0, at))}${v.slice(at)}`;
      });
    }
    if (mesh || !Array.isArray(service.ports)) continue;
    service.ports = service.ports.map((p: unknown) => {
      const text = String(p);
      const target = typeof p === 'object' && p ? (p as { target: number }).target : Number(text.split(':').pop()?.split('/')[0]);
      return { target, mode: 'host', protocol: text.endsWith('/udp') ? 'udp' : 'tcp' };
    });
    service.deploy = { ...service.deploy, endpoint_mode: 'dnsrr' };
  }
  return out;
}

/** `.env` (or `.env.example`) read with dotenv's parser: `docker stack deploy` reads neither. */
function stackEnvironment(ctx: Context): Record<string, string> {
  const file = existsSync(join(ctx.dir, '.env')) ? join(ctx.dir, '.env') : join(ctx.dir, '.env.example');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  const version = /:([^:@/]+)$/.exec(ctx.tag)?.[1];
  return { ...fromFile, ...ctx.project.env, ...(version ? { APP_VERSION: version } : {}), DEPLOY_ID: ctx.project.name };
}

function swarmSteps(run: SwarmRun): StepSpec[] {
  return [
    {
      name: 'swarm ready',
      run: async () => {
        try {
          run.session = await ensureSwarm();
        } catch (error) {
          throw new StepFailure((error as Error).message);
        }
        run.mesh = routingMeshAvailable();
        const how = run.session.created ? 'created a single-node swarm (docker swarm init --advertise-addr 127.0.0.1); it is left at the end' : 'using this engine\'s swarm (a manager)';
        return run.mesh ? how : `${how}; no IPVS in this host's kernel, so no routing mesh: the published service (the app, or the proxy in front of it) is published in host mode for the probe`;
      },
    },
    BUILD_IMAGES,
    PIP_INDEX_NOT_IN_IMAGE,
    {
      name: 'deploy stack',
      run: async (ctx) => {
        const file = join(ctx.dir, STACK_FILE);
        if (!existsSync(file)) {
          throw new StepFailure(`${STACK_FILE} is missing: regenerate it with \`npx create-pyimage update\``);
        }
        const stack = parseYaml(readFileSync(file, 'utf8')) as Stack;
        ensureSecrets(ctx.dir, stackSecrets(ctx.answers));
        const stackDir = dirname(file);
        const missing = Object.entries(stack.secrets ?? {}).filter(([, s]) => s.file && !existsSync(resolve(stackDir, s.file)));
        if (missing.length > 0) throw new StepFailure(`secret files missing: ${missing.map(([, s]) => s.file).join(', ')} (relative to ${STACK_FILE})`);
        run.labels = await labelNode(run.session!.nodeId, requiredLabels(stack));
        run.tempDir = mkdtempSync(join(tmpdir(), 'pyimage-swarm-'));
        const deployed = join(run.tempDir, 'stack.yml');
        writeFileSync(deployed, stringifyYaml(localStack(stack, stackDir, run.mesh), { lineWidth: 0 }));
        const args = ['stack', 'deploy', '--compose-file', deployed];
        const help = await docker(['stack', 'deploy', '--help'], { timeout: MINUTE });
        if (help.all.includes('--detach')) args.push('--detach=true');
        must(await docker([...args, ctx.project.name], { timeout: 3 * MINUTE, signal: ctx.signal, env: stackEnvironment(ctx) }), 'docker stack deploy');
        const services = Object.keys(stack.services);
        return `stack ${ctx.project.name}: ${services.join(', ')}${run.labels.length > 0 ? `; labelled this node ${run.labels.join(', ')}` : ''}`;
      },
    },
    {
      name: 'every service converged and healthy',
      run: async (ctx) => {
        const seconds = ctx.options.timeout ?? 180;
        const deadline = Date.now() + seconds * 1000;
        let states: ServiceState[] = [];
        while (Date.now() < deadline) {
          if (ctx.signal.aborted) throw new StepFailure('interrupted');
          states = await stackServices(ctx.project.name);
          if (states.some((s) => s.failed)) break;
          if (states.length > 0 && states.every((s) => s.converged)) {
            return `${describeServices(states)}: every replica running healthy${states.some((s) => s.mode.includes('job')) ? ', jobs completed' : ''}`;
          }
          await new Promise((r) => setTimeout(r, 2_000));
        }
        throw new StepFailure(
          `the stack did not converge healthy (limit ${seconds}s): ${describeServices(states) || 'no services'}`,
          await notConvergedReport(states),
        );
      },
    },
    {
      name: 'health probe',
      run: async (ctx) => {
        // Behind the proxy only the proxy publishes: the probe is every front-door check.
        if (behindProxy(ctx.answers)) return swarmFrontDoorProbe(ctx, run.mesh);
        const port = run.mesh
          ? await publishedPort(swarmService(ctx, 'app'), ctx.answers.port)
          : (await docker(['port', await swarmContainer(ctx, 'app'), String(ctx.answers.port)], { timeout: MINUTE })).stdout.split('\n')[0]?.split(':').pop();
        if (!port || !/^\d+$/.test(port)) throw new StepFailure(`app publishes no port for ${ctx.answers.port}`);
        ctx.hostPort = port;
        const url = `http://127.0.0.1:${port}${ctx.answers.healthPath}`;
        const { status, body } = await probe(url, ctx.signal);
        const how = run.mesh ? 'routing mesh' : 'host-mode port of one task';
        return `GET ${url} (${how}) -> ${status} ${body.replace(/\s+/g, ' ').trim().slice(0, 200)}`.trim();
      },
    },
    {
      name: 'app runs as non-root',
      run: async (ctx) => {
        return nonRootUid(must(await docker(['exec', await swarmContainer(ctx, 'app'), 'cat', '/proc/1/status'], { timeout: MINUTE, signal: ctx.signal }), 'docker exec app'));
      },
    },
    ...serviceSteps('swarm'),
  ];
}

/** stack rm, then its volumes; node labels it added go, and a swarm it created is left. */
async function swarmTeardown(ctx: Context, run: SwarmRun): Promise<string> {
  const notes: string[] = [];
  let left: string[] = [];
  try {
    if (run.session) {
      left = await removeStack(ctx.project.name);
      if (run.labels.length > 0) await unlabelNode(run.session.nodeId, run.labels);
      notes.push(await releaseSwarm(run.session));
    }
  } finally {
    if (run.tempDir) rmSync(run.tempDir, { recursive: true, force: true });
  }
  if (left.length > 0) throw new StepFailure(`still there after docker stack rm: ${left.join(', ')}`);
  return [`no services, containers, secrets, networks or volumes left for ${ctx.project.name}`, ...notes].join('; ');
}

export function smokeSwarm(dir: string, options: SmokeOptions = {}): Promise<SmokeResult> {
  const run: SwarmRun = { labels: [], mesh: true };
  return smokeProject(dir, options, { steps: swarmSteps(run), teardown: (ctx) => swarmTeardown(ctx, run) });
}
