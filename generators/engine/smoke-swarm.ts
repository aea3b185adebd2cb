/**
 * `create-pyimage smoke --swarm`: the same proof as the compose smoke test, on Docker Swarm. On a
 * single-node swarm it makes itself if needed (and leaves it again), builds with compose, deploys
 * deploy/swarm/stack.yml under a stack name of its own, waits until every service converged and
 * is healthy, probes, checks non-root, the migration job, the worker and the database, and
 * removes the stack with its secrets, networks and volumes. Same JSON result, its own steps.
 */
import { stackSecrets } from '../render/app-env.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { STACK_FILE } from '../render/stack.js';
import { docker } from './docker.js';
import {
  databaseQuery,
  ensureSecrets,
  nonRootUid,
  lastLines,
  MINUTE,
  must,
  probe,
  smokeProject,
  STACK_STEPS,
  StepFailure,
  type Context,
  type SmokeOptions,
  type SmokeResult,
  type StepSpec,
} from './smoke.js';
import {
  ensureSwarm,
  labelNode,
  publishedPort,
  releaseSwarm,
  removeStack,
  routingMeshAvailable,
  runningContainer,
  serviceLogs,
  serviceTasks,
  stackServices,
  unlabelNode,
  type ServiceState,
  type SwarmSession,
} from './swarm.js';

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
 * The stack as deployed by the smoke test, from the user's file: secret files made absolute (the
 * copy lives in a temp directory) and, on a host whose kernel has no IPVS (no routing mesh), the
 * app published in host mode on a random port with DNS round robin, so it can still be probed.
 */
export function localStack(stack: Stack, stackDir: string, mesh: boolean): Stack {
  const out = structuredClone(stack);
  for (const secret of Object.values(out.secrets ?? {})) {
    if (typeof secret.file === 'string') secret.file = resolve(stackDir, secret.file);
  }
  const app = out.services.app;
  if (!mesh && app && Array.isArray(app.ports)) {
    app.ports = app.ports.map((p: unknown) => {
      const target = typeof p === 'object' && p ? (p as { target: number }).target : Number(String(p).split(':').pop()?.split('/')[0]);
      return { target, mode: 'host', protocol: 'tcp' };
    });
    app.deploy = { ...app.deploy, endpoint_mode: 'dnsrr' };
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

function describeServices(states: ServiceState[]): string {
  return states.map((s) => `${s.name.slice(s.name.indexOf('_') + 1)} ${s.replicas}${s.updateState ? ` (${s.updateState})` : ''}`).join(', ');
}

async function notConvergedReport(states: ServiceState[]): Promise<string> {
  const sections: string[] = [];
  for (const s of states.filter((x) => !x.converged)) {
    const tasks = (await serviceTasks(s.name)).slice(0, 3);
    const taskText = tasks.map((t) => `  ${t.state}${t.error ? `: ${t.error}` : ''}${t.exitCode !== undefined ? ` (exit ${t.exitCode})` : ''}`).join('\n');
    sections.push(`--- ${s.name} (${s.replicas}) tasks:\n${taskText || '  none'}\n--- logs:\n${lastLines(await serviceLogs(s.name), 30) || '(no output)'}`);
  }
  return sections.join('\n');
}

function service(ctx: Context, name: string): string {
  return `${ctx.project.name}_${name}`;
}

async function container(ctx: Context, name: string): Promise<string> {
  const id = await runningContainer(service(ctx, name));
  if (!id) throw new StepFailure(`no running ${name} task`);
  return id;
}

function swarmSteps(run: SwarmRun): StepSpec[] {
  const reuse = (name: string) => STACK_STEPS.find((s) => s.name === name)!;
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
        return run.mesh ? how : `${how}; no IPVS in this host's kernel, so no routing mesh: the app is published in host mode for the probe`;
      },
    },
    reuse('build images'),
    reuse('pip index not in image'),
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
        const port = run.mesh
          ? await publishedPort(service(ctx, 'app'), ctx.answers.port)
          : (await docker(['port', await container(ctx, 'app'), String(ctx.answers.port)], { timeout: MINUTE })).stdout.split('\n')[0]?.split(':').pop();
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
        return nonRootUid(must(await docker(['exec', await container(ctx, 'app'), 'cat', '/proc/1/status'], { timeout: MINUTE, signal: ctx.signal }), 'docker exec app'));
      },
    },
    {
      name: 'migration exited 0',
      when: (ctx) => ctx.answers.database !== 'none' && ctx.answers.migrations !== 'none',
      run: async (ctx) => {
        const tasks = await serviceTasks(service(ctx, 'migrate'));
        const done = tasks.find((t) => t.state === 'complete' && t.exitCode === 0);
        // The completed task's own logs: the service's interleave earlier, failed attempts.
        const logs = lastLines(await serviceLogs(done ? done.id : service(ctx, 'migrate')), 40);
        if (!done) {
          const states = tasks.map((t) => `${t.state}${t.exitCode !== undefined ? ` (exit ${t.exitCode})` : ''}`).join(', ');
          throw new StepFailure(`the migrate job did not complete: ${states || 'no tasks'}`, logs);
        }
        const attempts = tasks.length > 1 ? ` after ${tasks.length} attempts (it retries until the database answers)` : '';
        const last = lastLines(logs, 1);
        return `migrate job completed, exit 0${attempts}${last ? `: ${last}` : ''}`;
      },
    },
    {
      name: 'worker running',
      when: (ctx) => ctx.answers.worker.trim() !== '',
      run: async (ctx) => {
        const state = (await stackServices(ctx.project.name)).find((s) => s.name === service(ctx, 'worker'));
        if (!state?.converged) throw new StepFailure(`worker is ${state?.replicas ?? 'missing'}`, await notConvergedReport(state ? [state] : []));
        return `worker ${state.replicas} running (healthy)`;
      },
    },
    {
      name: 'database answers',
      when: (ctx) => databaseQuery(ctx.answers) !== undefined,
      run: async (ctx) => {
        const query = databaseQuery(ctx.answers)!;
        const r = must(await docker(['exec', await container(ctx, 'db'), 'sh', '-c', query.script], { timeout: MINUTE, signal: ctx.signal }), 'select 1 on db');
        if (r.stdout.trim() !== query.expect) throw new StepFailure(`select 1 answered ${JSON.stringify(r.stdout.trim())}`);
        return 'select 1 -> 1 (password from the Swarm secret, over TCP)';
      },
    },
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
