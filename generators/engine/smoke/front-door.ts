/**
 * Smoke through the front door (issue 22): on a --proxy project the app publishes no port, so the
 * health probe and the life-cycle steps go through the proxy. The steps are engine/front-door.ts's
 * checks, run against the proxy's published ports with the certificate verified against the
 * internal CA root read from the proxy's data volume (no unverified TLS anywhere).
 */
import type { Answers } from '../../answers/types.js';
import { getsHsts, INTERNAL_CA_ROOT, usesInternalCa } from '../../render/proxy/caddy.js';
import { compose } from '../docker.js';
import { FRONT_DOOR_STEPS, httpsGet, runFrontDoorCheck, type FrontDoor } from '../front-door.js';
import { publishedAt } from '../remote-engine.js';
import { lastLines, MINUTE, must, StepFailure, type Context, type StepSpec } from './steps.js';

/** Whether the project has a proxy in front of the app (the app then publishes nothing). */
export function behindProxy(a: Pick<Answers, 'proxy'>): boolean {
  return a.proxy !== undefined && a.proxy !== 'none';
}

/** The name smoke asks the proxy for: the first one on the internal CA (a public name gets ACME, unreachable here). */
export function smokeServerName(a: Pick<Answers, 'domains'>): string {
  const domains = a.domains ?? [];
  return domains.find(usesInternalCa) ?? domains[0] ?? 'localhost';
}

const doors = new WeakMap<Context, FrontDoor>();

/** `compose port proxy <port>`: the host address and port it is published on. */
async function published(ctx: Context, port: number, protocol?: 'udp'): Promise<{ address: string; port: number }> {
  const args = ['port', ...(protocol ? ['--protocol', protocol] : []), 'proxy', String(port)];
  const r = must(await compose(ctx.project, args, { timeout: MINUTE, signal: ctx.signal }), 'docker compose port proxy');
  const text = r.stdout.trim().split('\n')[0] ?? '';
  const at = text.lastIndexOf(':');
  const host = text.slice(0, at).replace(/^\[|\]$/g, '');
  const number = Number(text.slice(at + 1));
  if (at < 0 || !Number.isInteger(number) || number <= 0) throw new StepFailure(`the proxy publishes no port for ${port}: ${text || 'nothing'}`);
  const all = host === '' || host === '0.0.0.0' || host === '::';
  return { address: all ? publishedAt().probeHost : host, port: number };
}

/** Where the running proxy answers and the CA root it signs with; read once per run. */
export async function frontDoorOf(ctx: Context): Promise<FrontDoor> {
  const known = doors.get(ctx);
  if (known) return known;
  const https = await published(ctx, 443);
  const http = await published(ctx, 80);
  const serverName = smokeServerName(ctx.answers);
  const root = await compose(ctx.project, ['exec', '-T', 'proxy', 'cat', INTERNAL_CA_ROOT], { timeout: MINUTE, signal: ctx.signal });
  if (!root.ok || !root.stdout.includes('BEGIN CERTIFICATE')) {
    throw new StepFailure(
      `no internal CA root at ${INTERNAL_CA_ROOT} in the proxy: ${serverName} gets a certificate from ACME, which smoke cannot reach. ` +
        'Add a name on the internal CA (e.g. --domain localhost) to smoke the front door.',
      lastLines(root.all, 10),
    );
  }
  const door: FrontDoor = {
    address: https.address,
    httpPort: http.port,
    httpsPort: https.port,
    serverName,
    caPem: root.stdout,
    healthPath: ctx.answers.healthPath,
    expectHsts: getsHsts(serverName),
    appPort: ctx.answers.port,
  };
  doors.set(ctx, door);
  return door;
}

/** Whether the health path answers 2xx through the proxy (for the life-cycle steps' polling). */
export async function answersThroughProxy(ctx: Context): Promise<boolean> {
  try {
    const door = await frontDoorOf(ctx);
    const r = await httpsGet(door, door.healthPath);
    return r.status >= 200 && r.status < 300;
  } catch {
    return false;
  }
}

/** The front-door checks as smoke steps, for proxied projects only. */
export const FRONT_DOOR_SMOKE: StepSpec[] = FRONT_DOOR_STEPS.map((step) => ({
  name: step.name,
  when: (ctx: Context) => behindProxy(ctx.answers),
  run: async (ctx: Context) => {
    const door = await frontDoorOf(ctx);
    // The app may still be warming up behind a healthy proxy: the first check gets a few tries.
    let problem: string | undefined;
    for (let attempt = 0; attempt < (step.check.kind === 'https-verified' ? 10 : 1); attempt++) {
      if (ctx.signal.aborted) throw new StepFailure('interrupted');
      problem = await runFrontDoorCheck(door, step.check).catch((e: Error) => e.message);
      if (problem === undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    if (problem !== undefined) throw new StepFailure(problem);
    const where = step.check.kind === 'app-port-closed' ? ` (${door.address}:${door.appPort})` : ` (https://${door.serverName}:${door.httpsPort})`;
    return `${step.passed}${where}`;
  },
}));
