/**
 * Audit of GitHub Actions workflows (CI-01..CI-05): a workflow that breaks each rule once is
 * flagged at the right lines, and the workflow `--ci github` generates is clean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditFiles, auditProject } from '../../generators/audit/index.js';
import { renderProject } from '../../generators/render/index.js';
import { allAnswerCombinations, answersFor } from '../../generators/render/matrix.js';
import { repoRoot } from '../helpers.js';

const DIR = join(repoRoot, 'test', 'fixtures', 'audit-workflows');
const FILE = '.github/workflows/pr-bot.yml';
const text = readFileSync(join(DIR, FILE), 'utf8');

/** 1-based line of the one line containing `marker`. */
function lineOf(marker: string, nth = 0): number {
  const hits = text.split('\n').flatMap((l, i) => (l.includes(marker) ? [i + 1] : []));
  if (hits.length <= nth) throw new Error(`marker ${marker} not found`);
  return hits[nth]!;
}

describe('audit of GitHub workflows', () => {
  it('finds each CI rule at its line, and nothing where the workflow does it right', async () => {
    const report = await auditProject(DIR, { shellcheck: 'off' });
    expect(report.files.map((f) => `${f.kind}:${f.path}`)).toEqual([`workflow:${FILE}`]);
    const got = report.findings.map((f) => `${f.ruleId}:${f.line}`).sort();
    expect(got).toEqual(
      [
        `CI-03:${lineOf('pull_request_target')}`,
        `CI-05:${lineOf('  greet:')}`, // no permissions anywhere
        `CI-01:${lineOf('actions/checkout@v4')}`,
        `CI-04:${lineOf('actions/checkout@v4')}`,
        `CI-02:${lineOf('run: echo "Thanks')}`,
        `CI-02:${lineOf('script: console.log')}`,
        `CI-01:${lineOf('docker://alpine:3.20')}`,
        `CI-01:${lineOf('build.yml@main')}`,
        `CI-05:${lineOf('write-all')}`,
      ].sort(),
    );
    const injection = report.findings.find((f) => f.ruleId === 'CI-02')!;
    expect(injection.severity).toBe('high');
    expect(injection.fix).toContain('env:');
  });

  it('the generated workflow is clean for every answer combination', () => {
    const seen = new Set<string>();
    for (const answers of allAnswerCombinations()) {
      const workflow = renderProject({ ...answers, ci: 'github' }).find((f) => f.path === '.github/workflows/container.yml')!;
      if (seen.has(workflow.content)) continue;
      seen.add(workflow.content);
      const report = auditFiles([{ path: workflow.path, content: workflow.content }], { shellcheck: 'off' });
      expect(report.findings.filter((f) => f.ruleId.startsWith('CI-'))).toEqual([]);
    }
    expect(seen.size).toBeGreaterThan(1);
  }, 120_000);

  it('a generated project with --ci github audits clean as a whole', () => {
    const files = renderProject(answersFor({ ci: 'github', postgres: true, libpq: true }));
    const report = auditFiles(files.map((f) => ({ path: f.path, content: f.content, mode: f.mode })), { shellcheck: 'off' });
    expect(report.files.map((f) => f.kind)).toContain('workflow');
    expect(report.findings).toEqual([]);
  });
});
