/**
 * Smoke steps for the life of a service that fit a throw-away stack and take seconds (issue 21):
 * the server stops on SIGTERM by itself (graceful stop), comes back after `kill -9` (crash
 * recovery), and answers again after a database restart. The engine restart (a reboot) is not
 * smoke's to do: it stops every container on the user's engine; the e2e tests do it.
 */
import { publishedAt } from '../remote-engine.js';
import { performance } from 'node:perf_hooks';
import { connectionsAtImport } from '../../answers/scan/connections.js';
import { GRACEFUL_SECONDS, STOP_GRACE_SECONDS } from '../../render/view.js';
import { compose, composePs, run, type ContainerState } from '../docker.js';
import type { Context, StepSpec } from './steps.js';
import { answersThroughProxy, behindProxy } from './front-door.js';

const RECOVERY_SECONDS = 30;
/** Kills the server: PID 1 is the init (init: true), the server its child. */
const KILL_SERVER = "import os; os.kill(int(open('/proc/1/task/1/children').read().split()[0]), 9)";

const seconds = (started: number) => Math.round((performance.now() - started) / 100) / 10;

async function inspect(ctx: Context, name: string, format: string): Promise<string> {
  const r = await run(ctx.project.engine, ['inspect', '--format', format, name], { timeout: 30_000, signal: ctx.signal });
  return r.stdout.trim();
}

async function service(ctx: Context, name: string): Promise<ContainerState | undefined> {
  return (await composePs(ctx.project, ctx.signal)).find((c) => c.service === name);
}

/**
 * Polls every half second until `ok` gives true (Podman without systemd: runs the probe itself);
 * throws with the last state seen after `limit` seconds.
 */
async function until(ctx: Context, name: string, limit: number, ok: (c: ContainerState | undefined) => Promise<boolean>): Promise<void> {
  const started = performance.now();
  let last: ContainerState | undefined;
  while (seconds(started) < limit) {
    if (ctx.signal.aborted) throw new Error('interrupted');
    last = await service(ctx, name);
    if (last && ctx.project.engine.drivesHealth && last.state === 'running' && last.health === 'starting') {
      await run(ctx.project.engine, ['healthcheck', 'run', last.name], { timeout: 30_000, signal: ctx.signal });
      last = await service(ctx, name);
    }
    if (await ok(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${name} is ${last ? `${last.state}${last.health ? ` (${last.health})` : ''}` : 'gone'} after ${limit} s`);
}

const healthy = async (c: ContainerState | undefined) => c?.state === 'running' && (c.health === '' || c.health === 'healthy');

async function appAnswers(ctx: Context): Promise<boolean> {
  // Behind a proxy the app publishes nothing: ask through the front door (HTTPS, verified).
  if (behindProxy(ctx.answers)) return answersThroughProxy(ctx);
  const port = await compose(ctx.project, ['port', 'app', String(ctx.answers.port)], { timeout: 30_000, signal: ctx.signal });
  const published = port.stdout.trim().split(':').pop() ?? '';
  if (!/^\d+$/.test(published)) return false;
  try {
    const res = await fetch(`http://${publishedAt().probeHost}:${published}${ctx.answers.healthPath}`, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(3_000)]) });
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

export const LIFECYCLE_STEPS: StepSpec[] = [
  {
    name: 'graceful stop',
    run: async (ctx) => {
      const app = await service(ctx, 'app');
      if (!app) throw new Error('no app container');
      const started = performance.now();
      const stop = await compose(ctx.project, ['stop', 'app'], { timeout: (STOP_GRACE_SECONDS + 30) * 1000, signal: ctx.signal });
      const took = seconds(started);
      if (!stop.ok) throw new Error(`compose stop app failed: ${stop.all.trim().split('\n').pop() ?? ''}`);
      const code = Number(await inspect(ctx, app.name, '{{.State.ExitCode}}'));
      // 137 = SIGKILL: the server ignored SIGTERM and was killed when stop_grace_period ran out.
      if (code === 137) throw new Error(`the app did not stop on SIGTERM: killed after ${took} s (exit 137); requests in flight were cut off`);
      const restarted = performance.now();
      const start = await compose(ctx.project, ['start', 'app'], { timeout: 60_000, signal: ctx.signal });
      if (!start.ok) throw new Error(`compose start app failed: ${start.all.trim().split('\n').pop() ?? ''}`);
      await until(ctx, 'app', 60, healthy);
      return `SIGTERM: the server finished and exited ${code} in ${took} s (grace ${STOP_GRACE_SECONDS} s, server ${GRACEFUL_SECONDS} s); healthy again ${seconds(restarted)} s after start`;
    },
  },
  {
    name: 'crash recovery',
    run: async (ctx) => {
      const app = await service(ctx, 'app');
      if (!app) throw new Error('no app container');
      const before = await inspect(ctx, app.name, '{{.State.StartedAt}}');
      const started = performance.now();
      await compose(ctx.project, ['exec', '-T', 'app', 'python', '-c', KILL_SERVER], { timeout: 30_000, signal: ctx.signal });
      await until(ctx, 'app', RECOVERY_SECONDS, async (c) => c !== undefined && (await inspect(ctx, c.name, '{{.State.StartedAt}}')) !== before && (await healthy(c)));
      return `kill -9 of the server: restarted by the engine and healthy in ${seconds(started)} s`;
    },
  },
  {
    name: 'database restart',
    when: (ctx) => ctx.answers.database === 'postgres',
    run: async (ctx) => {
      const atImport = connectionsAtImport(ctx.dir);
      const named = atImport.map((c) => `${c.file}:${c.line} (${c.call})`).join(', ');
      const app = await service(ctx, 'app');
      const appStarted = app ? await inspect(ctx, app.name, '{{.State.StartedAt}}') : '';
      const started = performance.now();
      const restart = await compose(ctx.project, ['restart', 'db'], { timeout: 120_000, signal: ctx.signal });
      if (!restart.ok) throw new Error(`compose restart db failed: ${restart.all.trim().split('\n').pop() ?? ''}`);
      await until(ctx, 'db', 60, healthy);
      let answered = false;
      const deadline = performance.now() + RECOVERY_SECONDS * 1000;
      while (!answered && performance.now() < deadline && !ctx.signal.aborted) {
        answered = (await healthy(await service(ctx, 'app'))) && (await appAnswers(ctx));
        if (!answered) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (atImport.length > 0) {
        throw new Error(
          `the app connects to the database once, at import (${named}): after a database restart that connection is dead and ` +
            'nothing opens a new one. Connect per request, or use a pool that checks connections (SQLAlchemy `pool_pre_ping=True`, Django `CONN_HEALTH_CHECKS = True`).',
        );
      }
      if (!answered) throw new Error(`${ctx.answers.healthPath} did not answer within ${RECOVERY_SECONDS} s of the database restart`);
      const kept = app !== undefined && (await inspect(ctx, app.name, '{{.State.StartedAt}}')) === appStarted;
      return `db restarted; ${ctx.answers.healthPath} answers ${seconds(started)} s later, ${kept ? 'the app kept running' : 'the app was restarted by the engine'}; no connection made at import`;
    },
  },
];
