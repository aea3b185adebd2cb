/** The compiled CLI: `node bin/create-pyimage.js audit ...` exit codes and formats. */
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDir } from '../helpers.js';

const BAD = join(repoRoot, 'test', 'fixtures', 'audit-bad');
const CLEAN = join(repoRoot, 'test', 'fixtures', 'audit-clean');
const compiled = join(repoRoot, 'dist', 'generators', 'cli', 'audit-command.js');

beforeAll(async () => {
  // `npm test` builds first; a bare `npx vitest run test/audit` may find no (or an older) dist/.
  const auditDir = join(repoRoot, 'generators', 'audit');
  const sources = [join(repoRoot, 'generators', 'cli', 'audit-command.ts'), ...readdirSync(auditDir).map((f) => join(auditDir, f))];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!existsSync(compiled) || statSync(compiled).mtimeMs < newest) {
    await execa('npm', ['run', 'build'], { cwd: repoRoot });
  }
}, 180_000);

const temp = tempDir('audit-cli-');
afterAll(() => temp.cleanup());

describe('create-pyimage audit', () => {
  it('exits 1 on the bad fixture with the default --fail-on high, and prints text grouped by severity', async () => {
    const r = await runCli(['audit', BAD]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^create-pyimage audit: \d+ findings in 6 files \(critical \d+, high \d+, medium \d+, low \d+\), grade F/);
    const order = ['CRITICAL (', 'HIGH (', 'MEDIUM (', 'LOW ('].map((h) => r.stdout.indexOf(h));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.stdout).toContain('docker-compose.yml:7  CP-02 Privileged container');
  });

  it('exits 0 on the clean fixture', async () => {
    const r = await runCli(['audit', CLEAN]);
    expect(r.stdout).toContain('0 findings');
    expect(r.exitCode).toBe(0);
  });

  it.each([
    ['critical', 1],
    ['none', 0],
  ] as const)('--fail-on %s on the bad fixture exits %i', async (failOn, code) => {
    const r = await runCli(['audit', BAD, '--fail-on', failOn]);
    expect(r.exitCode).toBe(code);
  });

  it('--fail-on compares against the worst finding: a project with only low findings', async () => {
    const dir = join(temp.dir, 'low-only');
    mkdirSync(dir);
    // Only CP-01 (low): a deprecated version key on an otherwise hardened service.
    writeFileSync(join(dir, 'compose.yaml'), [
      'version: "3.8"',
      'services:',
      '  cache:',
      '    image: redis:7.4-bookworm',
      '    security_opt: ["no-new-privileges:true"]',
      '    healthcheck: {test: ["CMD", "redis-cli", "ping"], interval: 10s, timeout: 3s, retries: 3, start_period: 5s}',
      '    deploy: {resources: {limits: {cpus: "0.5", memory: 128m, pids: 64}}}',
      '    logging: {driver: local}',
      '',
    ].join('\n'));
    const json = await runCli(['audit', dir, '--format', 'json', '--fail-on', 'none']);
    const report = JSON.parse(json.stdout) as { summary: Record<string, number>; findings: { ruleId: string; severity: string }[] };
    expect(report.findings.map((f) => `${f.ruleId}/${f.severity}`)).toEqual(['CP-01/low']);
    expect((await runCli(['audit', dir, '--fail-on', 'medium'])).exitCode).toBe(0);
    expect((await runCli(['audit', dir, '--fail-on', 'low'])).exitCode).toBe(1);
  });

  it('--format json is the report object; --format markdown has a grade and a table', async () => {
    const json = await runCli(['audit', BAD, '--format', 'json', '--fail-on', 'none']);
    const report = JSON.parse(json.stdout) as { summary: { grade: string; total: number }; findings: unknown[]; notes: string[] };
    expect(Object.keys(report)).toEqual(['summary', 'findings', 'notes']);
    expect(report.summary.grade).toBe('F');
    expect(report.findings.length).toBe(report.summary.total);
    const md = await runCli(['audit', BAD, '--format', 'markdown', '--fail-on', 'none']);
    expect(md.stdout).toContain('**Grade: F**');
    expect(md.stdout).toContain('| # | Severity | Rule | Location | Problem |');
    expect(md.stdout).toContain('## Prioritised fixes');
  });

  it('without shellcheck on PATH it says so and still finds the script problems', async () => {
    // A PATH holding only node (node and shellcheck may share /usr/bin).
    const bin = join(temp.dir, 'node-only-bin');
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, 'node'))) symlinkSync(process.execPath, join(bin, 'node'));
    const r = await runCli(['audit', BAD, '--format', 'json', '--fail-on', 'none'], { env: { PATH: bin } });
    const report = JSON.parse(r.stdout) as { notes: string[]; findings: { ruleId: string; file: string }[] };
    expect(report.notes.join('\n')).toMatch(/shellcheck not installed: minimal script checks used/);
    const scriptRules = report.findings.filter((f) => f.file === 'scripts/deploy.sh').map((f) => f.ruleId);
    expect(scriptRules).toEqual(expect.arrayContaining(['SH-02', 'SH-05', 'SH-11', 'SH-09']));
  });

  it('--no-shellcheck says the minimal script checks were used', async () => {
    const r = await runCli(['audit', BAD, '--format', 'json', '--no-shellcheck', '--fail-on', 'none']);
    expect((JSON.parse(r.stdout) as { notes: string[] }).notes.join('\n')).toMatch(/minimal script checks used/);
  });

  it.each([
    [['--format', 'xml'], /--format: "xml" is not one of text, markdown, json/],
    [['--fail-on', 'severe'], /--fail-on: "severe" is not one of critical, high, medium, low, none/],
  ])('bad option %j exits 2 with a message', async (args, message) => {
    const r = await runCli(['audit', BAD, ...args]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('a missing directory or one with nothing to audit exits 2', async () => {
    const missing = await runCli(['audit', join(temp.dir, 'does-not-exist')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const empty = join(temp.dir, 'empty');
    mkdirSync(empty);
    const nothing = await runCli(['audit', empty]);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toMatch(/nothing|no Dockerfile/);
  });

  it('--help documents formats, --fail-on and its default, and the exit codes', async () => {
    const r = await runCli(['audit', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/--fail-on <severity>[\s\S]*default: "high"/);
    expect(r.stdout).toMatch(/Exit codes: 0/);
  });
});
