/**
 * Running a smoke plan: the engine checks, then the plan's steps (stopping at the first failure),
 * then its teardown, which always runs. listr2 only displays the steps; the result is the JSON
 * contract `{imageId, tag, size, success, message, steps: [{name, ok, seconds, detail}]}`.
 */
import { publishedAt } from '../remote-engine.js';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Listr, ListrLogger, ProcessOutput, type ListrRendererValue } from 'listr2';
import { checkEngine, type ComposeProject } from '../docker.js';
import { CHECK_NAMES, chooseEngine, engineFacts, gpuGroup, type Engine } from '../engines.js';
import { COMPOSE_STEPS, composeTeardown } from './compose.js';
import { gpuDecision } from './gpu.js';
import { overrideEnv, type SmokeOptions } from './options.js';
import { COMPOSE_FILE, GPU_COMPOSE_FILE, readStackAnswers } from './project.js';
import { StepFailure, type Context, type SmokeResult, type SmokeStep, type StepSpec } from './steps.js';

const engineSteps = (engine: Engine): StepSpec[] =>
  CHECK_NAMES[engine.name].map((name) => ({
    name,
    run: async (ctx) => {
      const check = (await (ctx.engine ??= checkEngine(engine))).find((c) => c.name === name)!;
      if (!check.ok) throw new StepFailure(check.detail);
      return check.detail;
    },
  }));

interface Runner {
  steps: SmokeStep[];
  tails: { name: string; tail: string }[];
  renderer: ListrRendererValue;
  rendererOptions: Record<string, unknown>;
}

async function runPhase(runner: Runner, ctx: Context, specs: StepSpec[], stopOnFailure: boolean): Promise<boolean> {
  let allOk = true;
  const live = runner.renderer === 'default';
  const list = new Listr(
    specs
      .filter((spec) => !spec.when || spec.when(ctx))
      .map((spec) => ({
        title: spec.name,
        task: async (_: unknown, task: { title: string; output: string; skip: (m?: string) => void }) => {
          const started = performance.now();
          const seconds = () => Math.round((performance.now() - started) / 100) / 10;
          try {
            if (ctx.signal.aborted) throw new StepFailure('interrupted');
            const out = await spec.run(ctx, (line) => {
              if (live) task.output = line;
            });
            const outcome = typeof out === 'string' ? { detail: out } : out;
            runner.steps.push({ name: spec.name, ok: true, seconds: seconds(), detail: outcome.detail });
            if (outcome.notice) {
              task.title = `${spec.name} (${seconds()}s)`;
              task.skip(outcome.detail);
            } else {
              task.title = `${spec.name} (${seconds()}s): ${outcome.detail}`;
            }
          } catch (error) {
            allOk = false;
            const failure = error instanceof StepFailure ? error : new StepFailure((error as Error).message);
            const detail = failure.tail ? `${failure.message}\n${failure.tail}` : failure.message;
            runner.steps.push({ name: spec.name, ok: false, seconds: seconds(), detail });
            if (failure.tail) runner.tails.push({ name: spec.name, tail: failure.tail });
            task.title = `${spec.name} (${seconds()}s)`;
            throw new Error(failure.message);
          }
        },
      })),
    {
      exitOnError: stopOnFailure,
      registerSignalListeners: false,
      renderer: runner.renderer,
      fallbackRenderer: 'simple',
      rendererOptions: runner.rendererOptions,
      fallbackRendererOptions: runner.rendererOptions,
    } as ConstructorParameters<typeof Listr>[1],
  );
  try {
    await list.run();
  } catch {
    /* recorded in runner.steps */
  }
  return allOk;
}

function projectName(name: string): string {
  return `${name}-smoke-${randomBytes(3).toString('hex')}`;
}


/** What a smoke run does after the engine checks: its steps (stop at the first failure) and a teardown that always runs. */
export interface SmokePlan {
  steps: StepSpec[];
  teardown: (ctx: Context) => Promise<string>;
}

const COMPOSE_PLAN: SmokePlan = { steps: COMPOSE_STEPS, teardown: composeTeardown };

/** The compose project a run uses: a name of its own, a random loopback port, the overrides and the GPU file when usable. */
async function smokeContext(dir: string, options: SmokeOptions): Promise<Context> {
  const answers = await readStackAnswers(dir);
  const env: Record<string, string> = {
    // A random loopback port, so a stack the user already runs on APP_PORT is not touched.
    APP_PORT: '0',
    APP_BIND_IP: publishedAt().bindIp,
    // Likewise the proxy's 80 and 443 (front-door projects): random loopback ports, read back by `compose port`.
    PROXY_HTTP_PORT: '0',
    PROXY_HTTPS_PORT: '0',
    PROXY_BIND_IP: publishedAt().bindIp,
    ...overrideEnv(options),
  };
  const engine = engineFacts(options.engine ?? chooseEngine(undefined));
  const gpu = gpuDecision(answers, dir);
  if (gpu?.env.RENDER_GID) gpu.env.RENDER_GID = gpuGroup(engine, gpu.env.RENDER_GID);
  Object.assign(env, gpu?.env);
  const project: ComposeProject = {
    engine,
    dir,
    files: [COMPOSE_FILE, ...(gpu?.use ? [GPU_COMPOSE_FILE] : [])],
    name: projectName(answers.name),
    envFile: existsSync(join(dir, '.env')) ? undefined : join(dir, '.env.example'),
    env,
  };
  const signal = options.signal ?? new AbortController().signal;
  return { dir, answers, project, options, signal, tag: '', imageId: '', size: 0, gpu, temp: [] };
}

function resultMessage(ctx: Context, runner: Runner): string {
  const failed = runner.steps.find((s) => !s.ok);
  const total = runner.steps.reduce((sum, s) => sum + s.seconds, 0);
  if (!failed) return `smoke test passed: ${ctx.tag} built, started and answered ${ctx.answers.healthPath} in ${Math.round(total)}s; nothing left running`;
  return ctx.signal.aborted ? `interrupted during "${failed.name}"; torn down` : `"${failed.name}" failed: ${failed.detail.split('\n')[0]}`;
}

export async function smokeProject(dir: string, options: SmokeOptions = {}, plan: SmokePlan = COMPOSE_PLAN): Promise<SmokeResult> {
  const ctx = await smokeContext(dir, options);
  const report = options.report ?? ((text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`));
  const stderrOnly = new ProcessOutput(process.stderr, process.stderr);
  const runner: Runner = {
    steps: [],
    tails: [],
    renderer: options.renderer ?? 'simple',
    rendererOptions: { logger: new ListrLogger({ processOutput: stderrOnly }), collapseErrors: false },
  };

  const engineOk = await runPhase(runner, ctx, engineSteps(ctx.project.engine), false);
  if (engineOk) {
    try {
      await runPhase(runner, ctx, plan.steps, true);
    } finally {
      const quiet = { ...ctx, signal: new AbortController().signal };
      await runPhase(runner, quiet, [{ name: 'teardown', run: () => plan.teardown(quiet) }], false);
    }
  }
  for (const temp of ctx.temp) rmSync(temp, { recursive: true, force: true });

  // The relevant tail of what failed (a person reads stderr even with --json); not after Ctrl-C.
  if (!ctx.signal.aborted) {
    for (const { name, tail } of runner.tails) report(`\n--- ${name}: relevant output ---\n${tail}\n`);
  }
  return {
    imageId: ctx.imageId,
    tag: ctx.tag,
    size: ctx.size,
    success: runner.steps.every((s) => s.ok),
    message: resultMessage(ctx, runner),
    project: ctx.project.name,
    steps: runner.steps,
  };
}
