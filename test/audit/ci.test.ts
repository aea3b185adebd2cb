/**
 * Audit in CI (issue 14): SARIF against the published 2.1.0 schema, stable fingerprints, GitHub
 * annotations, Code Climate, reasoned ignores (inline and in .create-pyimage-audit.yml).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../generators/audit/config.js';
import { formatCodeClimate, formatGithub, formatMarkdown, formatSarif, formatText } from '../../generators/audit/format.js';
import { auditFiles, auditProject } from '../../generators/audit/index.js';
import { AuditInputError, type AuditFile, type AuditOptions } from '../../generators/audit/types.js';

const BAD = join(import.meta.dirname, '..', 'fixtures', 'audit-bad');
const require = createRequire(import.meta.url);

/** The SARIF 2.1.0 (rtm.5) schema as published by the SARIF SDK team, shipped in @microsoft/jest-sarif. */
function sarifValidator() {
  const schemaPath = join(require.resolve('@microsoft/jest-sarif/package.json'), '..', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false }); // the schema's `language` pattern is not valid with the u flag
  addFormats.default(ajv);
  return ajv.compile(schema);
}

const COMPOSE = [
  'services:',
  '  web:',
  '    image: nginx:1.27-bookworm',
  '    healthcheck: {test: ["CMD", "true"], interval: 10s, timeout: 3s, retries: 3, start_period: 5s}',
  '    deploy: {resources: {limits: {cpus: "0.5", memory: 128m, pids: 64}}}',
  '    logging: {driver: local}',
  '    restart: unless-stopped',
  '',
].join('\n');

function audit(files: AuditFile[], options: AuditOptions = {}) {
  return auditFiles(files, { shellcheck: 'off', today: '2026-06-01', ...options });
}

function ids(files: AuditFile[], options: AuditOptions = {}) {
  return audit(files, options).findings.map((f) => `${f.ruleId} ${f.file}:${f.line}`);
}

describe('--format sarif', () => {
  it('validates against the SARIF 2.1.0 JSON schema, with rules, help, fix, locations and fingerprints', async () => {
    const report = await auditProject(BAD, { shellcheck: 'off' });
    const text = formatSarif(report, '1.2.3');
    const log = JSON.parse(text) as {
      version: string;
      runs: { tool: { driver: { version: string; rules: { id: string; help: { text: string }; properties: Record<string, unknown> }[] } }; results: { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[]; partialFingerprints: Record<string, string> }[] }[];
    };
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const run = log.runs[0]!;
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver.version).toBe('1.2.3');
    expect(run.results.length).toBe(report.findings.length);
    const rule = run.tool.driver.rules.find((r) => r.id === 'CP-02')!;
    expect(rule.help.text).toMatch(/privileged[\s\S]*Fix: Remove `privileged: true`/);
    expect(rule.properties['security-severity']).toBe('9.5');
    const privileged = run.results.find((r) => r.ruleId === 'CP-02')!;
    expect(run.tool.driver.rules[privileged.ruleIndex]!.id).toBe('CP-02');
    expect(privileged.level).toBe('error');
    expect(privileged.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'docker-compose.yml', uriBaseId: '%SRCROOT%' }, region: { startLine: 7 } });
    const prints = run.results.map((r) => r.partialFingerprints['createPyimageFinding/v1']);
    expect(prints.every((p) => /^[0-9a-f]{32}$/.test(p ?? ''))).toBe(true);
    expect(new Set(prints).size).toBe(prints.length);
  });

  it('a schema violation is caught by the validator (the test can fail)', () => {
    const validate = sarifValidator();
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [] }] })).toBe(false);
  });

  it('suppressed findings appear with their justification, and the log still validates', () => {
    const report = audit([{ path: 'compose.yaml', content: `version: "3.8" # create-pyimage: ignore=CP-01 reason="old tooling reads it"\n${COMPOSE}` }]);
    expect(report.findings.map((f) => f.ruleId)).not.toContain('CP-01');
    const log = JSON.parse(formatSarif(report)) as { runs: { results: { ruleId: string; suppressions?: { kind: string; justification: string }[] }[] }[] };
    expect(sarifValidator()(log)).toBe(true);
    const cp01 = log.runs[0]!.results.find((r) => r.ruleId === 'CP-01')!;
    expect(cp01.suppressions).toEqual([{ kind: 'inSource', justification: 'old tooling reads it (compose.yaml:1)' }]);
    // The readable reports list it too, with the reason.
    expect(formatMarkdown(report)).toContain('| CP-01 | `compose.yaml:1` | old tooling reads it | `compose.yaml:1` |');
    expect(formatText(report)).toMatch(/Ignored with a reason \(1\):\n {2}compose\.yaml:1 {2}CP-01: old tooling reads it/);
  });
});

describe('fingerprints', () => {
  it('stay the same when lines move, and differ between identical lines by occurrence', () => {
    const two = `${COMPOSE}  api:\n    image: nginx:latest\n  api2:\n    image: nginx:latest\n`;
    const before = audit([{ path: 'compose.yaml', content: two }]).findings;
    const moved = audit([{ path: 'compose.yaml', content: `# a comment\n\nname: demo\n${two}` }]).findings;
    const key = (f: { ruleId: string; fingerprint?: string }) => `${f.ruleId} ${f.fingerprint}`;
    expect(moved.map(key).sort()).toEqual(before.map(key).sort());
    expect(moved.find((f) => f.ruleId === 'CP-23')!.line).toBe(before.find((f) => f.ruleId === 'CP-23')!.line + 3);
    const latest = before.filter((f) => f.ruleId === 'CP-23');
    expect(latest).toHaveLength(2);
    expect(latest[0]!.fingerprint).not.toBe(latest[1]!.fingerprint);
  });

  it('change when the offending line changes', () => {
    const a = audit([{ path: 'compose.yaml', content: COMPOSE.replace('nginx:1.27-bookworm', 'nginx:latest') }]).findings.find((f) => f.ruleId === 'CP-23')!;
    const b = audit([{ path: 'compose.yaml', content: COMPOSE.replace('nginx:1.27-bookworm', 'nginx') }]).findings.find((f) => f.ruleId === 'CP-23')!;
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
});

describe('--format github and codeclimate', () => {
  it('github: one workflow command per finding, escaped, levels by severity', async () => {
    const report = await auditProject(BAD, { shellcheck: 'off' });
    const lines = formatGithub(report).trimEnd().split('\n');
    expect(lines).toHaveLength(report.findings.length + 1);
    expect(lines).toContain(lines.find((l) => l.startsWith('::error file=docker-compose.yml,line=7,title=CP-02 Privileged container (critical)::service `web` is privileged%0AFix: ')));
    expect(lines.some((l) => /^::notice file=docker-compose.yml,line=1,title=CP-01 /.test(l))).toBe(true);
    expect(lines.some((l) => /^::warning /.test(l))).toBe(true);
    // A file-level finding has no line, and nothing but the message part holds raw newlines.
    expect(lines.some((l) => /^::\w+ file=\.dockerignore,title=/.test(l) || /^::\w+ file=\.gitignore,title=/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^create-pyimage audit: \d+ findings .* grade F$/);
    const title = lines.find((l) => l.includes('CP-16'))!;
    expect(title).toMatch(/title=CP-16 Sensitive host path mounted \(critical\)::/);
  });

  it('github: commas and colons in properties are escaped', () => {
    const report = audit([{ path: 'a,b:c/compose.yaml', content: `version: "3"\n${COMPOSE}` }]);
    expect(formatGithub(report)).toContain('::notice file=a%2Cb%3Ac/compose.yaml,line=1,');
  });

  it('codeclimate: GitLab Code Quality fields for every finding', async () => {
    const report = await auditProject(BAD, { shellcheck: 'off' });
    const issues = JSON.parse(formatCodeClimate(report)) as { check_name: string; description: string; severity: string; fingerprint: string; location: { path: string; lines: { begin: number } } }[];
    expect(issues).toHaveLength(report.findings.length);
    for (const i of issues) {
      expect(['info', 'minor', 'major', 'critical', 'blocker']).toContain(i.severity);
      expect(i.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(i.location.lines.begin).toBeGreaterThanOrEqual(1);
    }
    expect(issues.find((i) => i.check_name === 'CP-02')).toMatchObject({ severity: 'blocker', location: { path: 'docker-compose.yml', lines: { begin: 7 } } });
  });
});

describe('inline ignores', () => {
  const dockerfile = (above: string) => ['FROM python:3.12-slim-bookworm AS builder', 'FROM python:3.12-slim-bookworm', above, 'ADD app.tar.gz /app', ''].join('\n');

  it('an ignore above the line silences that rule there, in a Dockerfile', () => {
    expect(ids([{ path: 'Dockerfile', content: dockerfile('') }])).toContain('DF-10 Dockerfile:4');
    const report = audit([{ path: 'Dockerfile', content: dockerfile('# create-pyimage: ignore=DF-10 reason="the archive is our release artifact"') }]);
    expect(report.findings.map((f) => f.ruleId)).not.toContain('DF-10');
    expect(report.suppressed.map((s) => `${s.finding.ruleId} ${s.source} ${s.reason}`)).toEqual(['DF-10 Dockerfile:3 the archive is our release artifact']);
  });

  it('on the line itself in compose and .env; in a script\'s header comments for whole-file findings (several ids)', () => {
    const compose = COMPOSE.replace('  web:', '  web: # create-pyimage: ignore=CP-04 reason="sidecar, hardened by the platform"');
    const env = 'HTTP_PROXY=http://10.0.0.1:3128 # create-pyimage: ignore=PI-05 reason=\'the CI runner needs it\'\n';
    const script = '#!/usr/bin/env bash\n# create-pyimage: ignore=SH-02,SH-03,SH-04 reason="tiny wrapper"\necho hi\n';
    const report = audit([
      { path: 'compose.yaml', content: compose },
      { path: '.env.ci', content: env },
      { path: 'run.sh', content: script, mode: 0o755 },
    ]);
    const silenced = ['CP-04', 'CP-12', 'PI-05', 'SH-02', 'SH-03', 'SH-04'];
    expect(report.findings.filter((f) => silenced.includes(f.ruleId)).map((f) => `${f.ruleId} ${f.file}:${f.line}`)).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === 'PI-10')).toEqual([]);
    expect(report.suppressed.map((s) => s.finding.ruleId).sort()).toEqual(['CP-04', 'PI-05', 'SH-02', 'SH-03', 'SH-04']);
  });

  it('an ignore that matches nothing is reported (PI-10), naming the unused rule', () => {
    const compose = COMPOSE.replace('  web:', '  web: # create-pyimage: ignore=CP-04,CP-06 reason="platform"');
    const report = audit([{ path: 'compose.yaml', content: compose }]);
    expect(report.findings.map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`)).toEqual(['PI-10 compose.yaml:2 ignore=CP-06 matches no finding on line 2']);
  });

  it.each([
    ['# create-pyimage: ignore=CP-99 reason="x"', /compose\.yaml:1: ignore=CP-99 is not a rule/],
    ['# create-pyimage: ignore=CP-04', /compose\.yaml:1: ignore=CP-04 needs a reason/],
    ['# create-pyimage: ignore=CP-04 reason=""', /needs a reason/],
    ['# create-pyimage: ignore CP-04', /cannot read the ignore comment/],
  ])('%s is a usage error', (comment, message) => {
    expect(() => audit([{ path: 'compose.yaml', content: `${comment}\n${COMPOSE}` }])).toThrow(AuditInputError);
    expect(() => audit([{ path: 'compose.yaml', content: `${comment}\n${COMPOSE}` }])).toThrow(message);
  });
});

it('a Dockerfile has no end-of-line comments: an ignore there is a usage error that says to move it', () => {
  const content = 'FROM python:3.12-slim-bookworm\nADD app.tar.gz /app # create-pyimage: ignore=DF-10 reason="x"\n';
  expect(() => audit([{ path: 'Dockerfile', content }])).toThrow(/Dockerfile:2: a Dockerfile has no end-of-line comments.*on its own line above/);
});

describe('.create-pyimage-audit.yml', () => {
  const config = (text: string) => parseConfig(text);

  it('sets rule severities', () => {
    const report = audit([{ path: 'compose.yaml', content: COMPOSE }], { config: config('severity:\n  CP-04: critical\n') });
    expect(report.findings.find((f) => f.ruleId === 'CP-04')!.severity).toBe('critical');
    expect(report.summary.critical).toBe(1);
  });

  it('ignores with a reason, by path; an expired one stops applying and is reported; an unused one too', () => {
    const text = [
      'ignore:',
      '  - rule: CP-04',
      '    path: "legacy/**"',
      '    reason: legacy stack, replaced in Q3',
      '  - rule: CP-04',
      '    path: compose.yaml',
      '    reason: the platform sets no-new-privileges',
      '    expires: 2026-05-31',
      '  - rule: CP-06',
      '    reason: nothing here',
      '',
    ].join('\n');
    const report = audit(
      [
        { path: 'compose.yaml', content: COMPOSE },
        { path: 'legacy/compose.yaml', content: COMPOSE },
      ],
      { config: config(text) },
    );
    const got = report.findings.map((f) => `${f.ruleId} ${f.file}:${f.line}`);
    expect(got).toContain('CP-04 compose.yaml:2');
    expect(got).not.toContain('CP-04 legacy/compose.yaml:2');
    expect(got).toContain('PI-10 .create-pyimage-audit.yml:5');
    expect(report.findings.find((f) => f.file === '.create-pyimage-audit.yml' && f.line === 5)!.message).toMatch(/CP-04 in compose\.yaml expired on 2026-05-31/);
    expect(got).toContain('PI-10 .create-pyimage-audit.yml:9');
    expect(report.suppressed.map((s) => `${s.finding.file} ${s.source} ${s.kind}`)).toEqual(['legacy/compose.yaml .create-pyimage-audit.yml:2 external']);
    // On its last day it still applies.
    const before = audit([{ path: 'compose.yaml', content: COMPOSE }], { config: config(text), today: '2026-05-31' });
    expect(before.findings.map((f) => f.ruleId)).not.toContain('CP-04');
  });

  it('skips paths', () => {
    const report = audit([{ path: 'compose.yaml', content: COMPOSE }, { path: 'vendor/x/compose.yaml', content: 'version: "2"\n' }], { config: config('skip: ["vendor/"]\n') });
    expect(report.findings.every((f) => !f.file.startsWith('vendor/'))).toBe(true);
    expect(report.files.map((f) => f.path)).toEqual(['compose.yaml']);
  });

  it.each([
    ['severity:\n  CP-04: severe\n', /severity\.CP-04 must be one of critical, high, medium, low/],
    ['severity:\n  XX-99: low\n', /severity\.XX-99 is not a rule/],
    ['severity:\n  cp04: low\n', /severity\.cp04 is not a rule id/],
    ['ignore:\n  - rule: CP-04\n', /ignore\[0\]\.reason is required/],
    ['ignore:\n  - rule: CP-04\n    reason: "  "\n', /ignore\[0\]\.reason must not be empty/],
    ['ignore:\n  - rule: CP-04\n    reason: x\n    expires: 31/12/2026\n', /ignore\[0\]\.expires must be a date YYYY-MM-DD/],
    ['ignore:\n  - rule: CP-04\n    reason: x\n    expires: "2026-02-30"\n', /ignore\[0\]\.expires: 2026-02-30 is not a real date/],
    ['ignore:\n  - rule: CP-04\n    reason: x\n    until: 2026-01-01\n', /ignore\[0\]\.until is not a known key/],
    ['skips: []\n', /skips is not a known key/],
    ['ignore: [\n', /YAML error/],
  ])('bad config %j names the key', (text, message) => {
    expect(() => config(text)).toThrow(AuditInputError);
    expect(() => config(text)).toThrow(message);
  });
});

describe('--fix (computeFixes)', () => {
  it('edits compose through the YAML document: comments stay, fixes land in the right service, judgement calls stay', async () => {
    const { computeFixes } = await import('../../generators/audit/fix.js');
    const content = [
      '# Our stack. Keep this comment.',
      'version: "3.8"',
      'services:',
      '  app: # the web app',
      '    build: .',
      '    # capabilities the app needs',
      '    cap_add: [NET_ADMIN]',
      '    logging:',
      '      driver: json-file # rotated below',
      '  cache:',
      '    image: redis:7.4-bookworm',
      '',
    ].join('\n');
    const files = [{ path: 'compose.yaml', content }];
    const report = audit(files);
    const [fix] = computeFixes(files, report.findings, null);
    expect(fix!.content).toContain('# Our stack. Keep this comment.');
    expect(fix!.content).toContain('# the web app');
    expect(fix!.content).toContain('    # capabilities the app needs');
    expect(fix!.content).toContain('driver: json-file # rotated below');
    expect(fix!.content).not.toMatch(/^version:/m);
    const after = audit([{ path: 'compose.yaml', content: fix!.content }]);
    const left = after.findings.map((f) => `${f.ruleId} ${f.message}`);
    expect(left.filter((l) => /^(CP-01|CP-04|CP-21) /.test(l) || /^CP-22 .*init: true/.test(l) || /^CP-03 .*cap_drop/.test(l))).toEqual([]);
    // Judgement: a dangerous cap_add is still reported, and nothing else was invented.
    expect(left.some((l) => /^CP-03 .*NET_ADMIN/.test(l))).toBe(true);
    expect(computeFixes([{ path: 'compose.yaml', content: fix!.content }], after.findings, null)).toEqual([]);
  });

  it('quotes the expansions the built-in scanner flags when ShellCheck is not used', async () => {
    const { computeFixes } = await import('../../generators/audit/fix.js');
    const script = '#!/usr/bin/env bash\nset -Eeuo pipefail\ncp $SRC ${DEST}/x\necho "ok $SRC"\n';
    const files = [{ path: 'a.sh', content: script, mode: 0o755 }];
    const [fix] = computeFixes(files, audit(files).findings, null);
    expect(fix!.content).toBe('#!/usr/bin/env bash\nset -Eeuo pipefail\ncp "$SRC" "${DEST}"/x\necho "ok $SRC"\n');
    expect(fix!.mode).toBe(0o755);
  });
});
