/**
 * MD-01..MD-07: MariaDB and MySQL services in any project's compose file, on fixtures written the
 * ways tutorials and real projects write them; and the stack create-pyimage generates passes them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditFiles, auditProject } from '../../generators/audit/index.js';
import type { AuditReport, Finding } from '../../generators/audit/types.js';
import { renderProject } from '../../generators/render/index.js';
import { answersFor } from '../../generators/render/matrix.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const BAD = join(FIXTURES, 'audit-mariadb-bad');
const GOOD = join(FIXTURES, 'audit-mariadb-good');

/** 1-based line of the `nth` line of docker-compose.yml containing `marker`. */
function lineOf(dir: string, marker: string, nth = 1): number {
  const hits = readFileSync(join(dir, 'docker-compose.yml'), 'utf8').split('\n').flatMap((text, i) => (text.includes(marker) ? [i + 1] : []));
  if (hits.length < nth) throw new Error(`marker ${JSON.stringify(marker)} found ${hits.length} times`);
  return hits[nth - 1]!;
}

const md = (findings: Finding[]) => findings.filter((f) => f.ruleId.startsWith('MD-'));
const describeAll = (findings: Finding[]) => findings.map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`).join('\n');

describe('MariaDB/MySQL rules on a tutorial-style compose file', () => {
  let report: AuditReport;
  beforeAll(async () => {
    report = await auditProject(BAD, { shellcheck: 'off' });
  });

  /** [rule, marker of the expected line, occurrence, what the message says]. */
  const EXPECTED: [string, string, number, RegExp][] = [
    ['MD-01', 'image: mariadb:latest', 1, /names no release series/],
    ['MD-02', 'MARIADB_PASSWORD: hunter2-literal', 1, /takes MARIADB_PASSWORD from the environment/],
    ['MD-03', 'MARIADB_ALLOW_EMPTY_ROOT_PASSWORD', 1, /empty password/],
    ['MD-04', '- /var/lib/mysql', 1, /anonymous/],
    ['MD-05', 'mysqladmin', 1, /unix socket/],
    ['MD-06', 'stop_grace_period: 5s', 1, /only 5s/],
    ['MD-07', 'read_only: true', 1, /\/run\/mysqld/],
    ['MD-07', 'cap_drop: [ALL]', 1, /cannot chown/],
    // The MYSQL_* spellings of the official mysql image are read the same way.
    ['MD-02', 'MYSQL_ROOT_PASSWORD_FILE', 1, /does not list the secret `root_pw`/],
    ['MD-04', '  legacy-db:', 1, /no volume at \/var\/lib\/mysql/],
    ['MD-05', '  legacy-db:', 1, /no healthcheck/],
    ['MD-06', '  legacy-db:', 1, /10 s after SIGTERM/],
  ];

  it.each(EXPECTED)('%s at the line of %j', (ruleId, marker, nth, message) => {
    const line = lineOf(BAD, marker, nth);
    const hit = report.findings.find((f) => f.ruleId === ruleId && f.file === 'docker-compose.yml' && f.line === line && message.test(f.message));
    expect(hit, `${ruleId} at line ${line}; found:\n${describeAll(report.findings)}`).toBeDefined();
  });

  it('reports nothing else of the MD family, and the published-port and network rules stay with PG-06 and CP-18', () => {
    expect(md(report.findings)).toHaveLength(EXPECTED.length);
    expect(report.findings.filter((f) => f.ruleId === 'PG-06')).toEqual([]);
  });

  it('a published 3306 is PG-06, as for every database', () => {
    const content = readFileSync(join(GOOD, 'docker-compose.yml'), 'utf8').replace('    user: "999:999"\n', '    user: "999:999"\n    ports: ["3306:3306"]\n');
    const findings = auditFiles([{ path: 'docker-compose.yml', content }], { shellcheck: 'off' }).findings;
    expect(findings.filter((f) => f.ruleId === 'PG-06').map((f) => f.message)).toEqual(['`db` publishes its database port 3306 on all interfaces']);
  });
});

describe('MariaDB/MySQL done right', () => {
  it('the generated shape and a root-entrypoint variant with the official healthcheck.sh: no MD finding', async () => {
    const report = await auditProject(GOOD, { shellcheck: 'off' });
    expect(md(report.findings), describeAll(report.findings)).toEqual([]);
  });

  it.each([
    ['flask + PyMySQL + worker + Redis', { framework: 'flask', appModule: 'app:create_app()', database: 'mariadb', migrations: 'flask-db', worker: 'rq worker q', redis: true, env: ['DATABASE_URL={db.url}'] }],
    ['django + mysqlclient', { framework: 'django', appModule: 'mysite.wsgi:application', database: 'mariadb', mysqlDriver: 'mysqlclient', migrations: 'django', env: ['DATABASE_URL={db.url}'] }],
  ] as const)('a generated %s stack audits clean', (_label, overrides) => {
    const files = renderProject(answersFor(overrides as never));
    const report = auditFiles(files.map((f) => ({ path: f.path, content: f.content, mode: f.mode })), { shellcheck: 'off' });
    expect(report.findings, describeAll(report.findings)).toEqual([]);
  });
});
