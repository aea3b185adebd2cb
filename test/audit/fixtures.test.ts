import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditProject } from '../../generators/audit/index.js';
import type { AuditReport, Finding } from '../../generators/audit/types.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const BAD = join(FIXTURES, 'audit-bad');
const CLEAN = join(FIXTURES, 'audit-clean');

/** 1-based line of the one line in `file` that contains `marker` (fails if it is not unique). */
function lineOf(file: string, marker: string): number {
  const lines = readFileSync(join(BAD, file), 'utf8').split('\n');
  const hits = lines.flatMap((text, i) => (text.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`marker ${JSON.stringify(marker)} found ${hits.length} times in ${file}`);
  return hits[0]!;
}

/** Every problem the issue lists, as [rule id, file, marker on the expected line]. */
const EXPECTED: [string, string, string][] = [
  // pip
  ['PI-01', 'Dockerfile', 'pip install --break-system-packages flask'],
  ['PI-02', 'Dockerfile', 'pip install --break-system-packages flask'],
  ['PI-02', 'Dockerfile', 'pip install -r requirements.txt'],
  ['DF-12', 'Dockerfile', 'pip install --break-system-packages flask'],
  ['PI-01', 'scripts/deploy.sh', 'pip install --break-system-packages requests'],
  // chmod 777 / a+rwx
  ['PI-03', 'Dockerfile', 'RUN chmod 777 /app'],
  ['SH-09', 'scripts/deploy.sh', 'chmod a+rwx'],
  // proxies hard-coded
  ['PI-05', '.env', 'HTTP_PROXY=http://127.0.0.1:2080'],
  ['PI-05', '.env', 'https_proxy='],
  ['PI-05', 'docker-compose.yml', 'HTTP_PROXY: http://127.0.0.1:2080'],
  ['PI-05', 'Dockerfile', 'HTTP_PROXY=http://127.0.0.1:2080'],
  // compose isolation
  ['CP-15', 'docker-compose.yml', 'network_mode: host'],
  ['CP-02', 'docker-compose.yml', 'privileged: true'],
  ['CP-16', 'docker-compose.yml', '/var/run/docker.sock'],
  ['CP-14', 'docker-compose.yml', '"80:80"'],
  ['CP-14', 'docker-compose.yml', '"8443:443"'],
  ['PG-06', 'docker-compose.yml', '"5432:5432"'],
  // health and limits
  ['DF-08', 'Dockerfile', 'FROM python:latest'],
  ['CP-12', 'docker-compose.yml', '  web:'],
  ['CP-12', 'docker-compose.yml', '  proxy:'],
  ['CP-08', 'docker-compose.yml', '  web:'],
  ['CP-09', 'docker-compose.yml', '  web:'],
  ['CP-10', 'docker-compose.yml', '  web:'],
  // root
  ['DF-06', 'Dockerfile', 'FROM python:latest'],
  ['DF-06', 'Dockerfile.worker', 'USER root'],
  ['CP-07', 'docker-compose.yml', 'user: root'],
  ['CP-07', 'docker-compose.yml', 'user: "0"'],
  ['SH-09', 'scripts/deploy.sh', '--user root'],
  // single stage with toolchain, ADD, apt hygiene
  ['DF-04', 'Dockerfile', 'FROM python:latest'],
  ['DF-05', 'Dockerfile', 'apt-get install -y build-essential cmake git vim curl wget'],
  ['DF-16', 'Dockerfile', 'apt-get install -y build-essential cmake git vim curl wget'],
  ['DF-11', 'Dockerfile', 'apt-get install -y build-essential cmake git vim curl wget'],
  ['DF-10', 'Dockerfile', 'ADD . /app'],
  // pinning
  ['DF-03', 'Dockerfile', 'FROM python:latest'],
  ['DF-03', 'Dockerfile', 'COPY --from=ghcr.io/astral-sh/uv:latest'],
  ['CP-23', 'docker-compose.yml', 'image: nginx:latest'],
  // heredoc script
  ['PI-04', 'Dockerfile', "RUN cat > /app/start.sh << 'EOF'"],
  // scripts
  ['SH-02', 'scripts/deploy.sh', '#!/bin/bash'],
  ['SH-05', 'scripts/deploy.sh', 'cd $APP_DIR'],
  ['SH-05', 'scripts/deploy.sh', 'chmod a+rwx $APP_DIR/data'],
  ['SH-11', 'scripts/deploy.sh', 'read -p'],
  ['SH-08', 'scripts/deploy.sh', 'docker-compose up -d'],
  // env vs compose, log paths
  ['PI-06', 'docker-compose.yml', 'LOG_LEVEL: ERROR'],
  ['PI-07', 'docker-compose.yml', '--log-file /tmp/gunicorn.log'],
  // secrets, .env ignored, version
  ['DF-14', 'Dockerfile', 'ARG API_TOKEN=abc123'],
  ['DF-14', 'Dockerfile', 'ENV DJANGO_SECRET_KEY=supersecret'],
  ['CP-19', 'docker-compose.yml', 'POSTGRES_PASSWORD: hunter2'],
  ['EV-05', '.dockerignore', '.git'],
  ['DI-01', '.dockerignore', '.git'],
  ['CP-01', 'docker-compose.yml', 'version: "3.8"'],
  // shell form CMD, a restart policy that leaves a server down after a reboot
  ['DF-09', 'Dockerfile', 'CMD gunicorn'],
  ['CP-11', 'docker-compose.yml', 'restart: on-failure:5'],
];

function has(report: AuditReport, ruleId: string, file: string, line: number): boolean {
  return report.findings.some((f) => f.ruleId === ruleId && f.file === file && f.line === line);
}

function describeFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`).join('\n');
}

describe.each([
  ['ShellCheck if installed', 'auto' as const],
  ['built-in script checks', 'off' as const],
])('audit of test/fixtures/audit-bad (%s)', (_label, shellcheck) => {
  let report: AuditReport;
  beforeAll(async () => {
    report = await auditProject(BAD, { shellcheck });
  });

  it('reads every kind of file', () => {
    expect(report.files.map((f) => `${f.kind}:${f.path}`).sort()).toEqual([
      'compose:docker-compose.yml',
      'dockerfile:Dockerfile',
      'dockerfile:Dockerfile.worker',
      'dockerignore:.dockerignore',
      'env:.env',
      'script:scripts/deploy.sh',
    ]);
  });

  it.each(EXPECTED)('finds %s in %s at the line of %j', (ruleId, file, marker) => {
    const line = lineOf(file, marker);
    expect(has(report, ruleId, file, line), `${ruleId} at ${file}:${line}; found:\n${describeFindings(report.findings)}`).toBe(true);
  });

  it('does not mistake the heredoc body for instructions', () => {
    const start = lineOf('Dockerfile', "<< 'EOF'");
    const inBody = report.findings.filter((f) => f.file === 'Dockerfile' && f.line > start && f.line <= start + 5);
    expect(describeFindings(inBody)).toBe('');
  });

  it('fills why and fix from the rule table and grades the project F', () => {
    for (const f of report.findings) {
      expect(f.why.length).toBeGreaterThan(20);
      expect(f.fix.length).toBeGreaterThan(10);
    }
    expect(report.summary.grade).toBe('F');
    expect(report.summary.total).toBe(report.findings.length);
    expect(report.summary.critical + report.summary.high + report.summary.medium + report.summary.low).toBe(report.summary.total);
  });
});

describe('audit of test/fixtures/audit-clean', () => {
  it.each(['auto', 'off'] as const)('has zero findings (shellcheck: %s)', async (shellcheck) => {
    const report = await auditProject(CLEAN, { shellcheck });
    expect(report.files.length).toBe(7);
    expect(describeFindings(report.findings)).toBe('');
    expect(report.summary.grade).toBe('A');
  });
});
