// The report of the stack bench (stack.ts) and of generate.ts, and its Markdown (docs/benchmarks-stack.md).
// Kept apart from stack.ts so generate.ts runs without the e2e engine helpers.
import os from 'node:os';
import { median } from './lib.js';

export const ADDED_DEPENDENCY = 'requests==2.28.1';
export interface StackReport {
  date: string;
  runs: number;
  loadAverage: number[];
  engine: string;
  generateS: number[];
  generateCpuS: number[];
  stacks: { label: string; healthyS: number[]; appReadyS: number[]; gapS: number[] }[];
  addDependency: { label: string; seconds: number[] }[];
  /** `npm run bench:generate` (generate.ts): generation against node's start-up, paired; the last few runs. */
  generateVsNode?: GenerateVsNode[];
}

export interface GenerateVsNode {
  date: string;
  commit: string;
  label: string;
  loadAverage: number[];
  /** `node -e 0`, wall seconds. */
  nodeS: number[];
  /** `create-pyimage NEW_DIR --yes`, cache as an earlier run left it. */
  generateS: number[];
  /** The same with an empty ShellCheck result cache (the first run ever). */
  coldCacheS: number[];
}

function generateRows(entries: GenerateVsNode[]): string[] {
  if (entries.length === 0) return [];
  const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}×`;
  const fmt = (s: number) => `${s.toFixed(3)} s`;
  const lines = [
    '',
    '## `generate --yes` for a brand-new project against node\'s start-up',
    '',
    'Written by `npm run bench:generate` (test/bench/generate.ts): each run times a bare `node -e 0` and then',
    '`create-pyimage NEW_DIR --yes` back to back (paired); "first run ever" uses an empty ShellCheck result cache.',
    'The goal is ≤ 4 × node. Oldest first; medians.',
    '',
    '| date | commit | label | runs | load | `node -e 0` | generate, new project | × node | first run ever | × node |',
    '|---|---|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const e of entries) {
    lines.push(
      `| ${e.date.slice(0, 16)} | ${e.commit} | ${e.label} | ${e.nodeS.length} | ${e.loadAverage.map((l) => l.toFixed(1)).join(' / ')} | ${fmt(median(e.nodeS))} | ${fmt(median(e.generateS))} | ${ratio(e.generateS, e.nodeS)} | ${fmt(median(e.coldCacheS))} | ${ratio(e.coldCacheS, e.nodeS)} |`,
    );
  }
  const last = entries[entries.length - 1]!;
  lines.push('', `Runs of the last entry (s): node ${last.nodeS.map((x) => x.toFixed(3)).join(', ')}; generate ${last.generateS.map((x) => x.toFixed(3)).join(', ')}; first run ever ${last.coldCacheS.map((x) => x.toFixed(3)).join(', ')}.`, '');
  return lines;
}

const fmt = (s: number) => `${s.toFixed(2)} s`;

export function renderStack(report: StackReport): string {
  const lines = [
    '# Benchmarks: generation, time to healthy, adding a dependency',
    '',
    '<!-- Written by `npm run bench -- --stack` (test/bench/stack.ts); raw runs in benchmarks-stack.json. Do not edit by hand. -->',
    '',
    `${report.date}, engine ${report.engine}, medians of ${report.runs} runs taken side by side in one run; load average at the start ${report.loadAverage.map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} CPUs (other sessions share this machine).`,
    '',
    '| row | median | runs |',
    '|---|---:|---|',
    `| \`create-pyimage DIR --yes\` wall time | ${fmt(median(report.generateS))} | ${report.generateS.map((s) => s.toFixed(2)).join(', ')} |`,
    `| \`create-pyimage DIR --yes\` CPU time (user + sys) | ${fmt(median(report.generateCpuS))} | ${report.generateCpuS.map((s) => s.toFixed(2)).join(', ')} |`,
  ];
  for (const s of report.stacks) {
    lines.push(`| \`compose up -d --wait\` → every service healthy: ${s.label} | ${fmt(median(s.healthyS))} | ${s.healthyS.map((x) => x.toFixed(2)).join(', ')} |`);
    lines.push(`| … the app first answers GET /health (slowest service ready) | ${fmt(median(s.appReadyS))} | ${s.appReadyS.map((x) => x.toFixed(2)).join(', ')} |`);
    lines.push(`| … healthy minus ready | ${fmt(median(s.gapS))} | ${s.gapS.map((x) => x.toFixed(2)).join(', ')} |`);
  }
  const theirs = report.addDependency.find((a) => a.label.includes('docker init'));
  for (const a of report.addDependency) {
    const ratio = theirs && a !== theirs ? ` (${(median(a.seconds) / median(theirs.seconds)).toFixed(2)}× theirs)` : '';
    lines.push(`| rebuild after adding one dependency: ${a.label} | ${fmt(median(a.seconds))}${ratio} | ${a.seconds.map((x) => x.toFixed(2)).join(', ')} |`);
  }
  lines.push(
    '',
    '"Ready" is the first 200 from GET /health, polled every 50 ms from `up`; the app starts last (it waits for',
    'Postgres to be healthy), so it is the slowest service. "Healthy" is when `docker compose up -d --wait` returns.',
    'The engine < 25 row runs the same stack with HEALTHCHECK_START_INTERVAL=0s (no probes between intervals, as on engines where scripts/lib.sh and `create-pyimage smoke` remove start_interval)',
    '; engine 26 then probes every 5 s during the start period, the pace of an older engine with our 5 s interval.',
    `"Adding one dependency" appends \`${ADDED_DEPENDENCY}\` to requirements.txt and rebuilds (warm cache, pip cache mount warm).`,
    '',
  );
  lines.push(...generateRows(report.generateVsNode ?? []));
  return lines.join('\n');
}
