// `npm run bench:generate [-- --runs 7 --label TEXT]`: `create-pyimage DIR --yes` for a brand-new project
// against a bare `node -e 0`, paired (each run times both, back to back, so load from other sessions hits
// both alike), medians of --runs (default 7). Two generate rows per run:
//   - a brand-new project, with the ShellCheck result cache as any earlier run of create-pyimage left it
//     (one warm-up generation of another project first);
//   - the same with an empty cache (XDG_CACHE_HOME pointing at an empty folder): the first run ever.
// Appends the figures to docs/benchmarks-stack.json (`generateVsNode`, the last entries kept, so a change
// shows its before and after) and re-renders docs/benchmarks-stack.md. No engine needed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, median, run } from './lib.js';
import { renderStack, type GenerateVsNode, type StackReport } from './stack-report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const cli = path.join(repo, 'bin/create-pyimage.js');
/** Entries kept in benchmarks-stack.json: enough for a before and an after. */
const KEEP = 6;

/** Wall seconds of one command, measured by bash's `time` around it, as the stack bench does. */
async function timed(command: string, args: string[], env: Record<string, string>): Promise<number> {
  const r = await run('bash', ['-c', 'TIMEFORMAT="%R"; { time "$@" >/dev/null 2>&1; } 2>&1', 'timed', command, ...args], { env });
  return Number(r.output.trim().split(/\s+/).pop());
}

function parseArgs(argv: string[]): { runs: number; label: string; out: string } {
  const options = { runs: 7, label: '', out: path.join(repo, 'docs') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value (--runs N, --label TEXT, --out DIR)`);
    if (arg === '--runs') options.runs = Number(value);
    else if (arg === '--label') options.label = value;
    else if (arg === '--out') options.out = path.resolve(value);
    else throw new Error(`unknown option ${arg} (--runs N, --label TEXT, --out DIR)`);
  }
  if (!Number.isInteger(options.runs) || options.runs < 7) throw new Error('--runs needs an integer >= 7 (the medians need them)');
  return options;
}

export async function generateBench(runs: number, label: string): Promise<GenerateVsNode> {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  log('compiling the CLI (npm run build)');
  await run('npm', ['run', 'build'], { cwd: repo });
  const root = await mkdtemp(path.join(os.tmpdir(), 'pyimage-bench-generate-'));
  const base = { CI: 'true', PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root };
  const entry: GenerateVsNode = { date: new Date().toISOString(), commit, label, loadAverage: os.loadavg(), nodeS: [], generateS: [], coldCacheS: [] };
  try {
    await timed(process.execPath, [cli, path.join(root, 'warm-up'), '--yes'], base); // as any earlier run would have left the cache
    for (let i = 0; i < runs; i++) {
      entry.nodeS.push(await timed(process.execPath, ['-e', '0'], base));
      entry.generateS.push(await timed(process.execPath, [cli, path.join(root, `service-${i}`), '--yes'], base));
      const cache = path.join(root, `empty-cache-${i}`);
      await mkdir(cache);
      entry.coldCacheS.push(await timed(process.execPath, [cli, path.join(root, `cold-${i}`), '--yes'], { ...base, XDG_CACHE_HOME: cache }));
      if (!existsSync(path.join(root, `service-${i}`, 'scripts/up.sh'))) throw new Error(`generate run ${i + 1} wrote no scripts/up.sh`);
      log(`run ${i + 1}/${runs}: node -e 0 ${entry.nodeS[i]!.toFixed(3)} s, generate ${entry.generateS[i]!.toFixed(3)} s, first run ever ${entry.coldCacheS[i]!.toFixed(3)} s`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  log(`median: node ${median(entry.nodeS).toFixed(3)} s, generate ${median(entry.generateS).toFixed(3)} s = ${(median(entry.generateS) / median(entry.nodeS)).toFixed(2)} x node`);
  return entry;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const entry = await generateBench(options.runs, options.label);
  const file = path.join(options.out, 'benchmarks-stack.json');
  const report = JSON.parse(await readFile(file, 'utf8')) as StackReport;
  report.generateVsNode = [...(report.generateVsNode ?? []), entry].slice(-KEEP);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(options.out, 'benchmarks-stack.md'), renderStack(report));
  log(`wrote ${path.join(options.out, 'benchmarks-stack.md')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
