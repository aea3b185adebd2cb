/**
 * `smoke --swarm` through the front door (issue 22): on a --proxy project the stack publishes only
 * the proxy (the ingress), so the health probe is the front-door checks against the proxy's
 * published ports, with the certificate verified against the internal CA root read from the
 * proxy's task (no unverified TLS). Routing mesh: the service's published ports; without IPVS the
 * smoke stack publishes in host mode, read from the task's container.
 */
import { getsHsts, INTERNAL_CA_ROOT } from '../../render/proxy/caddy.js';
import { docker } from '../docker.js';
import { FRONT_DOOR_STEPS, runFrontDoorCheck, type FrontDoor } from '../front-door.js';
import { publishedPort } from '../swarm.js';
import { smokeServerName } from './front-door.js';
import { MINUTE, StepFailure, type Context } from './steps.js';
import { swarmContainer, swarmService } from './swarm-tasks.js';

async function hostPort(ctx: Context, mesh: boolean, target: number): Promise<number> {
  const port = mesh
    ? await publishedPort(swarmService(ctx, 'proxy'), target)
    : (await docker(['port', await swarmContainer(ctx, 'proxy'), `${target}/tcp`], { timeout: MINUTE })).stdout.split('\n')[0]?.split(':').pop();
  if (!port || !/^\d+$/.test(port) || port === '0') throw new StepFailure(`the proxy publishes no port for ${target}`);
  return Number(port);
}

/** The proxy's CA root: Caddy writes it on its first start, so it is waited for a little. */
async function caRoot(ctx: Context): Promise<string> {
  let last = '';
  for (let i = 0; i < 20; i++) {
    if (ctx.signal.aborted) throw new StepFailure('interrupted');
    const r = await docker(['exec', await swarmContainer(ctx, 'proxy'), 'cat', INTERNAL_CA_ROOT], { timeout: MINUTE });
    if (r.ok && r.stdout.includes('BEGIN CERTIFICATE')) return r.stdout;
    last = r.all;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new StepFailure(`no internal CA root at ${INTERNAL_CA_ROOT} in the proxy's task: add a name on the internal CA (e.g. --domain localhost) to smoke the front door`, last);
}

/** Every front-door check through the stack's proxy; the step's detail lists them. */
export async function swarmFrontDoorProbe(ctx: Context, mesh: boolean): Promise<string> {
  const serverName = smokeServerName(ctx.answers);
  const door: FrontDoor = {
    address: '127.0.0.1',
    httpsPort: await hostPort(ctx, mesh, 443),
    httpPort: await hostPort(ctx, mesh, 80),
    serverName,
    caPem: await caRoot(ctx),
    healthPath: ctx.answers.healthPath,
    expectHsts: getsHsts(serverName),
    appPort: ctx.answers.port,
  };
  ctx.hostPort = String(door.httpsPort);
  const passed: string[] = [];
  for (const step of FRONT_DOOR_STEPS) {
    let problem: string | undefined;
    // The app's tasks may still be joining the proxy's upstreams: the first check gets a few tries.
    for (let attempt = 0; attempt < (step.check.kind === 'https-verified' ? 10 : 1); attempt++) {
      problem = await runFrontDoorCheck(door, step.check).catch((e: Error) => e.message);
      if (problem === undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    if (problem !== undefined) throw new StepFailure(`${step.name}: ${problem}`);
    passed.push(step.name);
  }
  const how = mesh ? 'routing mesh' : 'host-mode ports of the proxy task';
  return `through the proxy at https://${serverName}:${door.httpsPort} (${how}, certificate verified against the internal CA): ${passed.join(', ')}`;
}
