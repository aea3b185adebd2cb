/**
 * The compose smoke run: build, start with `up --wait`, check health, probe, non-root, then every
 * service module's steps (services/), and a teardown that proves nothing is left.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackSecrets } from '../../render/app-env.js';
import { activeModules } from '../../stack/index.js';
import { dependencyFiles, START_INTERVAL, withoutStartInterval } from '../../render/view.js';
import { upDrivingHealth } from '../health.js';
import { compose, composePs, engineApiBefore, imageMetadata, inspectImage, leftovers, run } from '../docker.js';
import { GPU_OVERRIDE, GPU_RENDER_NODE } from './gpu.js';
import { ensureSecrets } from './project.js';
import { serviceSteps } from './services/index.js';
import { LIFECYCLE_STEPS } from './lifecycle.js';
import { behindProxy, FRONT_DOOR_SMOKE } from './front-door.js';
import { SBOM_STEP } from '../sbom/step.js';
import { publishedAt } from '../remote-engine.js';
import {
  bytes,
  describeStates,
  failedBuildLog,
  lastLines,
  MINUTE,
  must,
  nonRootUid,
  probe,
  StepFailure,
  unhealthyReport,
  type Context,
  type StepSpec,
} from './steps.js';

/** A service as `docker compose config --format json` reports it (the parts smoke reads). */
interface ConfigService {
  image?: string;
  healthcheck?: Record<string, unknown>;
}

/**
 * start_interval needs Docker's API 1.44 (engine 25); Podman's Docker-compatible API is older.
 * There an override file removes the key from the services that set it (see render/view.ts).
 */
async function overrideStartInterval(ctx: Context, services: Record<string, ConfigService>): Promise<void> {
  const names = Object.entries(services)
    .filter(([, s]) => s.healthcheck?.start_interval !== undefined)
    .map(([name]) => name);
  if (names.length === 0 || ctx.project.files.some((f) => f.endsWith('without-start-interval.yml'))) return;
  if (ctx.project.engine.name !== 'podman' && !(await engineApiBefore(START_INTERVAL.minApi))) return;
  const dir = mkdtempSync(join(tmpdir(), 'pyimage-health-'));
  ctx.temp.push(dir);
  const file = join(dir, 'without-start-interval.yml');
  writeFileSync(file, withoutStartInterval(names));
  ctx.project.files.push(file);
}

/** Builds every image with BuildKit after creating missing secrets; reads the services from `compose config`. */
export const BUILD_IMAGES: StepSpec = {
  name: 'build images',
  run: async (ctx, progress) => {
    const missing = dependencyFiles(ctx.answers).filter((f) => !existsSync(join(ctx.dir, f)));
    if (missing.length > 0) {
      throw new StepFailure(
        `${missing.join(' and ')} missing in ${ctx.dir}: the Dockerfile installs the dependencies from ` +
          (ctx.answers.deps === 'requirements'
            ? `it. Add it (pinned versions, e.g. pip freeze > ${ctx.answers.requirementsFile}) or re-run create-pyimage with --requirements-file <path>.`
            : ctx.answers.deps === 'uv'
              ? 'them. Create the lock file with `uv lock`, or re-run create-pyimage with --deps pip-pyproject.'
              : 'it. Add pyproject.toml, or re-run create-pyimage with --deps requirements.'),
      );
    }
    const notes = ensureSecrets(ctx.dir, stackSecrets(ctx.answers)).map((name) => `created secrets/${name}`);
    const config = must(
      await compose(ctx.project, ['config', '--format', 'json'], { timeout: MINUTE, signal: ctx.signal }),
      'docker compose config',
    );
    const services = (JSON.parse(config.stdout) as { services?: Record<string, ConfigService> }).services ?? {};
    ctx.tag = services.app?.image ?? `${ctx.answers.name}`;
    await overrideStartInterval(ctx, services);
    const build = await compose(ctx.project, ['--progress', 'plain', 'build'], {
      timeout: (ctx.options.buildTimeout ?? 1800) * 1000,
      signal: ctx.signal,
      env: ctx.project.engine.buildEnv,
      onLine: progress,
    });
    if (!build.ok) {
      const why = build.stopped ? 'interrupted' : `docker compose build failed (exit ${build.exitCode ?? '?'})`;
      throw new StepFailure(why, failedBuildLog(build.all));
    }
    const image = await inspectImage(ctx.project.engine, ctx.tag);
    if (!image) throw new StepFailure(`the build finished but image ${ctx.tag} is not there`);
    ctx.imageId = image.id;
    ctx.size = image.size;
    return [`${ctx.tag} ${image.id.slice(0, 19)}, ${bytes(image.size)}`, ...notes].join('; ');
  },
};

/** The index URLs given for the build stage are in neither the config nor the history of the image. */
export const PIP_INDEX_NOT_IN_IMAGE: StepSpec = {
  name: 'pip index not in image',
  when: (ctx) => Boolean(ctx.project.env.PIP_INDEX_URL || ctx.project.env.PIP_FIND_LINKS),
  run: async (ctx) => {
    const metadata = await imageMetadata(ctx.project.engine, ctx.tag);
    const secrets = [ctx.project.env.PIP_INDEX_URL, ctx.project.env.PIP_FIND_LINKS].filter((v): v is string => Boolean(v));
    const found = secrets.filter((s) => metadata.includes(s));
    if (found.length > 0) {
      throw new StepFailure(`${found.join(', ')} appears in the image config or history of ${ctx.tag}: keep it in the builder stage`);
    }
    return `${secrets.length === 1 ? 'the index URL is' : 'the index URLs are'} in neither the config nor the history of ${ctx.tag}`;
  },
};

/** Starts every service and waits until each is healthy (Podman without systemd: smoke runs the healthchecks). */
export const START_STACK: StepSpec = {
  name: 'start stack (up --wait)',
  run: async (ctx) => {
    const seconds = ctx.options.timeout ?? 180;
    const drive = ctx.project.engine.drivesHealth;
    const up = drive
      ? await upDrivingHealth(ctx.project, seconds, ctx.signal)
      : await compose(ctx.project, ['up', '--detach', '--wait', '--wait-timeout', String(seconds)], {
          timeout: (seconds + 120) * 1000,
          signal: ctx.signal,
        });
    const waited = drive ? (await composePs(ctx.project)).filter((c) => c.health !== '' && c.health !== 'healthy') : [];
    if (up.ok && waited.length === 0) {
      return `every service up within ${seconds}s${drive ? ' (no systemd: each healthcheck run by smoke with podman healthcheck run)' : ''}`;
    }
    const states = await composePs(ctx.project);
    const report = await unhealthyReport(ctx, states);
    const why = up.stopped ? 'interrupted' : lastLines(up.stderr, 1) || `exit ${up.exitCode ?? '?'}`;
    throw new StepFailure(
      `the stack did not come up healthy (limit ${seconds}s): ${up.ok ? 'not healthy in time' : why}. Containers: ${describeStates(states) || 'none'}`,
      report || lastLines(up.all, 30),
    );
  },
};

/** Every long-running service is running and healthy; one-shot jobs are not (migrate has its own step; the proxy starts only after proxy-init succeeded). */
export const EVERY_SERVICE_HEALTHY: StepSpec = {
  name: 'every service healthy',
  run: async (ctx) => {
    const jobs = new Set(activeModules(ctx.answers).filter((m) => m.role === 'job').map((m) => m.serviceName));
    const states = (await composePs(ctx.project, ctx.signal)).filter((c) => !jobs.has(c.service));
    const bad = states.filter((c) => c.state !== 'running' || (c.health !== '' && c.health !== 'healthy'));
    if (states.length === 0) throw new StepFailure('no containers are running');
    if (bad.length > 0) {
      throw new StepFailure(`not healthy: ${describeStates(bad)}`, await unhealthyReport(ctx, bad));
    }
    return describeStates(states);
  },
};

/** GET the health path on the published loopback port (projects without a proxy). */
export const HEALTH_PROBE: StepSpec = {
  name: 'health probe',
  // Behind a proxy the app publishes nothing: FRONT_DOOR_SMOKE probes through the proxy instead.
  when: (ctx) => !behindProxy(ctx.answers),
  run: async (ctx) => {
    const port = must(
      await compose(ctx.project, ['port', 'app', String(ctx.answers.port)], { timeout: MINUTE, signal: ctx.signal }),
      'docker compose port',
    );
    const published = port.stdout.trim().split(':').pop() ?? '';
    if (!/^\d+$/.test(published)) throw new StepFailure(`app publishes no port for ${ctx.answers.port}: ${port.stdout}`);
    ctx.hostPort = published;
    const url = `http://${publishedAt().probeHost}:${published}${ctx.answers.healthPath}`;
    const { status, body } = await probe(url, ctx.signal);
    return `GET ${url} -> ${status} ${body.replace(/\s+/g, ' ').trim().slice(0, 200)}`.trim();
  },
};

/** PID 1 of the app runs as a non-root UID. */
export const APP_NON_ROOT: StepSpec = {
  name: 'app runs as non-root',
  run: async (ctx) => {
    // PID 1's real UID (docker-init with init: true, else the server): what the app really runs as.
    const r = must(
      await compose(ctx.project, ['exec', '-T', 'app', 'cat', '/proc/1/status'], { timeout: MINUTE, signal: ctx.signal }),
      'docker compose exec app',
    );
    return nonRootUid(r);
  },
};

/** The compose run's steps: the stack's own, then each service module's, the GPU node check, then the life-cycle steps. */
export const COMPOSE_STEPS: StepSpec[] = [
  BUILD_IMAGES,
  SBOM_STEP,
  PIP_INDEX_NOT_IN_IMAGE,
  GPU_OVERRIDE,
  START_STACK,
  EVERY_SERVICE_HEALTHY,
  HEALTH_PROBE,
  ...FRONT_DOOR_SMOKE,
  APP_NON_ROOT,
  ...serviceSteps('compose'),
  GPU_RENDER_NODE,
  // Graceful stop, crash recovery, database restart (lifecycle.ts): last, they restart services.
  ...LIFECYCLE_STEPS,
];

/** down -v, then proof that nothing is left; removes stragglers by label if compose could not. */
export async function composeTeardown({ project }: Context): Promise<string> {
  const down = await compose(project, ['down', '--volumes', '--remove-orphans', '--timeout', '10'], {
    timeout: 3 * MINUTE,
    detached: true,
  });
  let left = await leftovers(project);
  if (left.length > 0) {
    for (const item of left) {
      const [kind, id] = item.split(' ') as [string, string];
      const args = kind === 'container' ? ['rm', '--force', '--volumes', id] : [kind, 'rm', id];
      await run(project.engine, args, { timeout: MINUTE, detached: true });
    }
    left = await leftovers(project);
  }
  if (left.length > 0) {
    throw new StepFailure(`still there after ${project.engine.binary} compose down: ${left.join(', ')}`, lastLines(down.all, 20));
  }
  return `no containers, networks or volumes left for ${project.name}`;
}
