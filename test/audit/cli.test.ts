/** The compiled CLI: `node bin/create-pyimage.js audit ...` exit codes and formats. */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, snapshot, tempDir } from '../helpers.js';

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
      '    restart: unless-stopped',
      '    networks: [backend]',
      'networks:',
      '  backend: {internal: true}',
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
    [['--format', 'xml'], /--format: "xml" is not one of text, markdown, json, sarif, github, codeclimate/],
    [['--dry-run'], /--dry-run: only meaningful with --fix/],
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

  it('--format sarif, github and codeclimate', async () => {
    const sarif = await runCli(['audit', BAD, '--format', 'sarif', '--fail-on', 'none']);
    expect(sarif.exitCode).toBe(0);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { tool: { driver: { name: string; version: string } }; results: unknown[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.tool.driver).toMatchObject({ name: 'create-pyimage', version: (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version });
    expect(log.runs[0]!.results.length).toBeGreaterThan(20);
    const github = await runCli(['audit', BAD, '--format', 'github']);
    expect(github.exitCode).toBe(1);
    expect(github.stdout).toMatch(/^::error file=docker-compose\.yml,line=7,title=CP-02 /m);
    const cc = await runCli(['audit', BAD, '--format', 'codeclimate', '--fail-on', 'none']);
    expect((JSON.parse(cc.stdout) as unknown[]).length).toBeGreaterThan(20);
  });

  it('a bad .create-pyimage-audit.yml or inline ignore exits 2 naming the key, with nothing on stdout', async () => {
    const dir = join(temp.dir, 'bad-config');
    mkdirSync(dir);
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: nginx:1.27-bookworm\n');
    writeFileSync(join(dir, '.create-pyimage-audit.yml'), 'ignore:\n  - rule: CP-04\n');
    const r = await runCli(['audit', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/\.create-pyimage-audit\.yml: ignore\[0\]\.reason is required/);
    expect(r.stdout).toBe('');
    writeFileSync(join(dir, '.create-pyimage-audit.yml'), 'ignore:\n  - rule: CP-04\n    reason: the platform adds it\n');
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  # create-pyimage: ignore=CP-6 reason="x"\n  web:\n    image: nginx:1.27-bookworm\n');
    const inline = await runCli(['audit', dir]);
    expect(inline.exitCode).toBe(2);
    expect(inline.stderr).toMatch(/compose\.yaml:2: ignore=CP-6 is not a rule/);
    const missing = await runCli(['audit', dir, '--config', join(dir, 'nope.yml')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--config: .*nope\.yml does not exist/);
  });

  it('--fix --dry-run shows a diff and writes nothing; --fix leaves only judgement calls; a second --fix changes nothing', async () => {
    const dir = join(temp.dir, 'fix');
    cpSync(BAD, dir, { recursive: true });
    const pristine = snapshot(dir);
    const dry = await runCli(['audit', dir, '--fix', '--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('--- a/docker-compose.yml');
    expect(dry.stdout).toContain('-version: "3.8"');
    expect(dry.stdout).toContain('+      - no-new-privileges:true');
    expect(dry.stdout).toContain('+cd "$APP_DIR"');
    expect(dry.stderr).toMatch(/would fix \d+ findings in 2 files; nothing written/);
    expect(snapshot(dir)).toEqual(pristine);

    const fixed = await runCli(['audit', dir, '--fix', '--format', 'json', '--fail-on', 'none']);
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stderr).toMatch(/fixed docker-compose\.yml: .*CP-04/);
    const left = (JSON.parse(fixed.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
    const mechanical = left.filter(
      (f) => ['CP-01', 'CP-04', 'CP-21'].includes(f.ruleId) || (f.ruleId === 'CP-03' && /cap_drop/.test(f.message)) || (f.ruleId === 'CP-22' && /init: true/.test(f.message)) || (f.ruleId === 'SH-05' && /^unquoted expansion/.test(f.message)),
    );
    expect(mechanical).toEqual([]);
    expect(left.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['CP-02', 'CP-16', 'DF-06', 'DF-14']));
    // The script keeps its mode; compose stays valid YAML that the audit reads.
    expect((statSync(join(dir, 'scripts', 'deploy.sh')).mode & 0o777).toString(8)).toBe((statSync(join(BAD, 'scripts', 'deploy.sh')).mode & 0o777).toString(8));
    const once = snapshot(dir);
    const again = await runCli(['audit', dir, '--fix', '--fail-on', 'none']);
    expect(again.stderr).toContain('nothing to fix mechanically');
    expect(snapshot(dir)).toEqual(once);
  });
});
