// `npm run bench -- --stack`: the quick rows, side by side in one run (medians of --runs, default 5):
//   - `create-pyimage DIR --yes` wall time;
//   - `docker compose up -d --wait` until every service is healthy, for app only, app + Postgres and
//     app + Postgres + worker (and that stack again the way engines before 25 run it), with the time
//     the app first answers GET /health, so the gap "healthy - ready" is measured too;
//   - the rebuild after adding one dependency, ours against the `docker init` pattern, and ours with
//     `COPY --link` for the virtualenv (an experiment, not what we generate).
// Writes docs/benchmarks-stack.json and docs/benchmarks-stack.md. No build-cache prune: warm builds only.
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readE2EEnv, type E2EEnv } from '../e2e/engine.js';
import { freePort, httpOk, log, now, run, sleep } from './lib.js';
import { ADDED_DEPENDENCY, renderStack, type StackReport } from './stack-report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const cli = path.join(repo, 'bin/create-pyimage.js');

interface StackRow {
  label: string;
  services: string[];
  env: Record<string, string>;
}

const STACKS: StackRow[] = [
  { label: 'app only', services: ['--no-deps', 'app'], env: {} },
  { label: 'app + Postgres', services: ['app', 'db'], env: {} },
  { label: 'app + Postgres + worker', services: [], env: {} },
  {
    // On engine 26, start_interval 0 means the default start interval (5 s), the pace at which an
    // engine < 25 probes (interval 5 s): the same timing. (A client forced to API 1.41 against this
    // engine cannot create containers on two networks at once, so that cannot stand in for one.)
    label: 'app + Postgres + worker, engine < 25 timing (no start_interval, as scripts/ arrange there; measured with HEALTHCHECK_START_INTERVAL=0s on engine 26)',
    services: [],
    env: { HEALTHCHECK_START_INTERVAL: '0s' },
  },
];

async function generateOnce(root: string, i: number): Promise<{ wall: number; cpu: number }> {
  const dir = path.join(root, `gen-${i}`);
  const started = now();
  const r = await run('bash', ['-c', 'TIMEFORMAT="%U %S"; { time node "$0" "$1" --yes >/dev/null 2>&1; } 2>&1', cli, dir], { env: { CI: 'true', PATH: process.env.PATH ?? '' } });
  const wall = now() - started;
  const [user = 0, sys = 0] = r.output.trim().split(/\s+/).map(Number);
  await rm(dir, { recursive: true, force: true });
  return { wall, cpu: user + sys };
}

async function prepareStack(root: string, facts: E2EEnv, runId: string) {
  const dir = path.join(root, 'stack');
  await cp(path.join(here, 'sample-app'), dir, { recursive: true });
  await writeFile(path.join(dir, 'worker.py'), 'import time\n\nwhile True:  # a stand-in background worker\n    time.sleep(60)\n');
  const name = `pyimage-bench-stack-${runId}`;
  await run(process.execPath, [cli, dir, '--yes', '--name', name, '--python', facts.pythonVersion, '--framework', 'flask', '--app', 'app:app',
    '--postgres', '--postgres-version', facts.postgresVersion, '--libpq', '--worker', 'python worker.py'], { cwd: repo, env: { CI: 'true', PATH: process.env.PATH ?? '' } });
  const port = await freePort();
  const env: Record<string, string> = {
    APP_VERSION: 'bench', APP_PORT: String(port), APP_BIND_IP: '127.0.0.1', WEB_CONCURRENCY: '2',
    PYTHON_IMAGE: facts.pythonImage, PIP_INDEX_URL: facts.indexUrl, BUILD_NETWORK: 'host', POSTGRES_IMAGE: facts.postgresImage,
  };
  const example = await readFile(path.join(dir, '.env.example'), 'utf8');
  const lines = example.split('\n').filter((l) => !Object.keys(env).some((k) => l.startsWith(`${k}=`)));
  await writeFile(path.join(dir, '.env'), [...lines, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join('\n'));
  await mkdir(path.join(dir, 'secrets'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'secrets/db_password'), `bench-${runId}-${Math.random().toString(36).slice(2)}`);
  await chmod(path.join(dir, 'secrets/db_password'), 0o444);
  const compose = ['compose', '-p', name, '--project-directory', dir, '-f', path.join(dir, 'docker-compose.yml')];
  return { dir, name, port, compose };
}

async function measureStack(stack: Awaited<ReturnType<typeof prepareStack>>, row: StackRow): Promise<{ healthyS: number; appReadyS: number }> {
  const started = now();
  let appReadyS = Number.NaN;
  let done = false;
  const poll = (async () => {
    while (!done) {
      if (await httpOk(`http://127.0.0.1:${stack.port}/health`)) {
        appReadyS = now() - started;
        return;
      }
      await sleep(50);
    }
  })();
  try {
    await run('docker', [...stack.compose, 'up', '-d', '--no-build', '--wait', '--wait-timeout', '150', ...row.services], {
      env: { ...process.env, ...row.env } as Record<string, string>,
      timeoutMs: 180_000,
    });
    const healthyS = now() - started;
    done = true;
    await poll;
    return { healthyS, appReadyS };
  } finally {
    done = true;
    await run('docker', [...stack.compose, 'down', '-v', '--remove-orphans', '-t', '5'], { allowFailure: true });
  }
}

async function addDependencyTimes(root: string, facts: E2EEnv, runs: number, runId: string) {
  const variants: { label: string; prepare: (dir: string) => Promise<void>; target?: string }[] = [
    { label: 'ours (generated)', prepare: async () => {}, target: 'runtime' },
    {
      label: 'ours with COPY --link for the virtualenv (experiment)',
      prepare: async (dir) => {
        const file = path.join(dir, 'Dockerfile');
        const text = await readFile(file, 'utf8');
        if (!text.includes('COPY --from=builder')) throw new Error('experiment: no COPY --from=builder in the generated Dockerfile');
        await writeFile(file, text.replaceAll('COPY --from=builder', 'COPY --link --from=builder'));
      },
      target: 'runtime',
    },
    {
      label: '`docker init` pattern',
      prepare: async (dir) => {
        await cp(path.join(here, 'dockerfiles/docker-init.Dockerfile'), path.join(dir, 'Dockerfile'));
        await cp(path.join(here, 'dockerfiles/docker-init.dockerignore'), path.join(dir, '.dockerignore'));
      },
    },
  ];
  const out: { label: string; seconds: number[] }[] = [];
  const dirs: { label: string; dir: string; tag: string; target?: string; requirements: string }[] = [];
  for (const [i, v] of variants.entries()) {
    const dir = path.join(root, `dep-${i}`);
    await cp(path.join(here, 'sample-app'), dir, { recursive: true });
    await run(process.execPath, [cli, dir, '--yes', '--name', `pyimage-bench-dep-${runId}`, '--python', facts.pythonVersion, '--framework', 'flask',
      '--app', 'app:app', '--postgres', '--libpq'], { env: { CI: 'true', PATH: process.env.PATH ?? '' } });
    await v.prepare(dir);
    dirs.push({ label: v.label, dir, tag: `pyimage-bench-dep-${i}-${runId}:bench`, target: v.target, requirements: await readFile(path.join(dir, 'requirements.txt'), 'utf8') });
    out.push({ label: v.label, seconds: [] });
  }
  const build = (d: (typeof dirs)[number]) =>
    run('docker', ['build', '--progress=plain', '--network', 'host', '--build-arg', `PYTHON_IMAGE=${facts.pythonImage}`, '--build-arg', `PIP_INDEX_URL=${facts.indexUrl}`,
      ...(d.target ? ['--target', d.target] : []), '-t', d.tag, d.dir], { timeoutMs: 20 * 60_000 });
  try {
    for (const d of dirs) await build(d); // warm
    for (let r = 1; r <= runs; r++) {
      for (const [i, d] of dirs.entries()) {
        await writeFile(path.join(d.dir, 'requirements.txt'), d.requirements);
        await build(d);
        // A comment unique to the run and variant: no build reuses a layer of another (the pip cache
        // mount is warm for all alike after the first run).
        await appendFile(path.join(d.dir, 'requirements.txt'), `${ADDED_DEPENDENCY}  # bench ${runId} run ${r} variant ${i}\n`);
        const timed = await build(d);
        out[i]!.seconds.push(timed.seconds);
        log(`add one dependency, run ${r}/${runs}, ${d.label}: ${timed.seconds.toFixed(2)} s`);
      }
    }
  } finally {
    for (const d of dirs) await run('docker', ['rmi', '-f', d.tag], { allowFailure: true });
  }
  return out;
}

export async function stackBench(runs: number, out: string): Promise<void> {
  const facts = readE2EEnv();
  const runId = `${process.pid}`;
  const root = await mkdtemp(path.join(os.tmpdir(), 'pyimage-bench-stack-'));
  const engine = `${(await run('docker', ['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'])).output.trim()}, compose ${(await run('docker', ['compose', 'version', '--short'])).output.trim()}`;
  const report: StackReport = { date: new Date().toISOString(), runs, loadAverage: os.loadavg(), engine, generateS: [], generateCpuS: [], stacks: [], addDependency: [] };
  try {
    log('compiling the CLI (npm run build)');
    await run('npm', ['run', 'build'], { cwd: repo });
    await generateOnce(root, -1); // first run fills the ShellCheck cache, as any earlier run would have
    for (let i = 0; i < runs; i++) {
      const g = await generateOnce(root, i);
      report.generateS.push(g.wall);
      report.generateCpuS.push(g.cpu);
      log(`generate --yes run ${i + 1}/${runs}: ${g.wall.toFixed(2)} s wall, ${g.cpu.toFixed(2)} s CPU`);
    }
    const stack = await prepareStack(root, facts, runId);
    log('building the stack image');
    await run('docker', [...stack.compose, 'build'], { timeoutMs: 30 * 60_000 });
    for (const row of STACKS) report.stacks.push({ label: row.label, healthyS: [], appReadyS: [], gapS: [] });
    try {
      for (let i = 0; i < runs; i++) {
        for (const [k, row] of STACKS.entries()) {
          const m = await measureStack(stack, row);
          const entry = report.stacks[k]!;
          entry.healthyS.push(m.healthyS);
          entry.appReadyS.push(m.appReadyS);
          entry.gapS.push(m.healthyS - m.appReadyS);
          log(`up --wait run ${i + 1}/${runs}, ${row.label}: healthy ${m.healthyS.toFixed(2)} s, app ready ${m.appReadyS.toFixed(2)} s`);
        }
      }
    } finally {
      await run('docker', [...stack.compose, 'down', '-v', '--remove-orphans', '-t', '5'], { allowFailure: true });
      await run('docker', ['rmi', '-f', `${stack.name}:bench`], { allowFailure: true });
    }
    report.addDependency = await addDependencyTimes(root, facts, runs, runId);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  // generate.ts's rows are kept: this run does not measure them.
  report.generateVsNode = (JSON.parse(await readFile(path.join(out, 'benchmarks-stack.json'), 'utf8').catch(() => '{}')) as Partial<StackReport>).generateVsNode;
  await writeFile(path.join(out, 'benchmarks-stack.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(out, 'benchmarks-stack.md'), renderStack(report));
  log(`wrote ${path.join(out, 'benchmarks-stack.md')}`);
}
