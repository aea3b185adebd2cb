/**
 * The checklist rules that used to be checked only on our own output (issue 14), and PI-09, on
 * fixtures written like other people's projects: each trips at its line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditFiles, auditProject } from '../../generators/audit/index.js';
import type { AuditReport, Finding } from '../../generators/audit/types.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const RULES_DIR = join(FIXTURES, 'audit-rules');

/** 1-based line of the one line in `file` containing `marker` (0 for the file as a whole). */
function lineOf(dir: string, file: string, marker: string | null): number {
  if (marker === null) return 0;
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  const hits = lines.flatMap((text, i) => (text.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`marker ${JSON.stringify(marker)} found ${hits.length} times in ${file}`);
  return hits[0]!;
}

function describeFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`).join('\n');
}

/** [rule, file, marker of the expected line (null: the file as a whole)]. */
const EXPECTED: [string, string, string | null][] = [
  ['DF-17', 'Dockerfile', 'AS runtime'],
  ['DF-18', 'Dockerfile', 'COPY --chown=10001:10001 . /app'],
  ['DF-19', 'Dockerfile', 'AS runtime'],
  ['DF-20', 'Dockerfile', '"--bind", "127.0.0.1:8000"'],
  ['DF-20', 'Dockerfile', 'EXPOSE 8080'],
  ['DF-21', 'Dockerfile', '"--bind", "127.0.0.1:8000"'],
  ['CP-18', 'docker-compose.yml', 'networks: [data]'],
  ['CP-20', 'docker-compose.yml', '${APP_PORT}:8000'],
  ['CP-20', 'docker-compose.yml', 'http://127.0.0.1:$PORT/health'],
  ['CP-22', 'docker-compose.yml', 'stop_grace_period: 20s'],
  ['CP-22', 'docker-compose.yml', '  worker:'],
  ['PG-01', 'docker-compose.yml', 'image: postgres:alpine'],
  ['PG-02', 'docker-compose.yml', 'POSTGRES_PASSWORD_FILE: /run/secrets/pg_pass\n'.trim() + ''],
  ['PG-04', 'docker-compose.yml', 'olddata:/var/lib/postgresql'],
  ['PG-05', 'docker-compose.yml', 'pg_isready -U postgres'],
  ['PG-07', 'docker-compose.yml', '  db:'],
  ['PG-08', 'docker-compose.yml', '  db:'],
  ['PG-09', 'docker-compose.yml', 'read_only: true\n'],
  ['SH-03', 'scripts/make-secret.sh', 'set -Eeuo pipefail'],
  ['SH-03', 'scripts/make-secret.sh', 'tmp="$(mktemp)"'],
  ['SH-04', 'scripts/make-secret.sh', 'set -Eeuo pipefail'],
  ['SH-07', 'scripts/make-secret.sh', 'docker compose up -d --wait'],
  ['SH-10', 'scripts/make-secret.sh', 'set -x'],
  ['SH-10', 'scripts/make-secret.sh', '${RANDOM}'],
  ['SH-10', 'scripts/make-secret.sh', '> secrets/api_token'],
  ['EV-01', '.env.example', 'UNUSED_SETTING=1'],
  ['EV-01', 'docker-compose.yml', 'http://127.0.0.1:$PORT/health'],
  ['EV-04', '.env.example', 'APP_BIND_IP=0.0.0.0'],
  ['EV-04', '.env.example', 'APP_UID=1000'],
  ['EV-04', '.env.example', 'REDIS_IMAGE=redis:latest'],
  ['EV-05', '.gitignore', null],
];

describe('test/fixtures/audit-rules: every newly checked rule trips at its line', () => {
  let report: AuditReport;
  beforeAll(async () => {
    report = await auditProject(RULES_DIR, { shellcheck: 'auto' });
  });

  it.each(EXPECTED)('%s in %s at the line of %j', (ruleId, file, marker) => {
    // Markers that repeat (PG-02, PG-09) pick their occurrence in the `db` service.
    const line =
      ruleId === 'PG-02' ? lineOf(RULES_DIR, file, '  db:') + 3 : ruleId === 'PG-09' ? lineOf(RULES_DIR, file, 'pg_isready -U postgres') + 5 : lineOf(RULES_DIR, file, marker);
    const hit = report.findings.some((f) => f.ruleId === ruleId && f.file === file && f.line === line);
    expect(hit, `${ruleId} at ${file}:${line}; found:\n${describeFindings(report.findings)}`).toBe(true);
  });

  it('SH-06: ShellCheck\'s optional checks are reported (and only those) on an otherwise clean script', () => {
    const onOptional = report.findings.filter((f) => f.file === 'scripts/optional.sh');
    expect(onOptional.length).toBeGreaterThan(0);
    expect(new Set(onOptional.map((f) => f.ruleId))).toEqual(new Set(['SH-06']));
    expect(onOptional.map((f) => f.message).join('\n')).toMatch(/SC2250|SC2312/);
  });

  it('EV-05 names both the .env and the compose file secret that git would pick up', () => {
    const messages = report.findings.filter((f) => f.ruleId === 'EV-05' && f.file === '.gitignore').map((f) => f.message);
    expect(messages.join('\n')).toMatch(/`\.env` is not git-ignored/);
    expect(messages.join('\n')).toMatch(/`secrets\/pg_pass` is not git-ignored: add `secrets\/`/);
  });
});

describe('PI-09: the program CMD / command starts must be installed', () => {
  it('a flask-only requirements project started with gunicorn: at the CMD line, high, with the fix', async () => {
    const dir = join(FIXTURES, 'audit-server-missing');
    const report = await auditProject(dir, { shellcheck: 'off' });
    const pi09 = report.findings.filter((f) => f.ruleId === 'PI-09');
    expect(pi09.map((f) => `${f.file}:${f.line}`).sort()).toEqual([
      `Dockerfile:${lineOf(dir, 'Dockerfile', 'CMD ["gunicorn"')}`,
      `docker-compose.yml:${lineOf(dir, 'docker-compose.yml', 'command:')}`,
    ]);
    const cmd = pi09.find((f) => f.file === 'Dockerfile')!;
    expect(cmd.severity).toBe('high');
    expect(cmd.message).toMatch(/`gunicorn`.*requirements\.txt/);
    expect(cmd.fix).toMatch(/Add `gunicorn` to requirements\.txt.*re-run `npx create-pyimage`, which installs a pinned one/);
    expect(report.summary.grade).not.toBe('A');
  });

  it('the same app with the server installed from `ARG SERVER_PACKAGE=gunicorn==...`: no finding', async () => {
    const report = await auditProject(join(FIXTURES, 'audit-server-provisioned'), { shellcheck: 'off' });
    expect(describeFindings(report.findings.filter((f) => f.ruleId === 'PI-09'))).toBe('');
  });

  const dockerfile = (cmd: string, extra = '') =>
    ['FROM python:3.12-slim-bookworm AS builder', 'COPY requirements.txt /src/', extra, 'RUN pip install --no-cache-dir -r /src/requirements.txt', 'FROM python:3.12-slim-bookworm', `CMD ${cmd}`, ''].join('\n');
  const pi09 = (files: { path: string; content: string }[]) => auditFiles(files, { shellcheck: 'off' }).findings.filter((f) => f.ruleId === 'PI-09').map((f) => `${f.file}:${f.line}`);

  it.each([
    ['gunicorn only in a -r include', '["gunicorn", "app:app"]', [{ path: 'requirements.txt', content: '-r requirements/base.txt\n' }, { path: 'requirements/base.txt', content: 'Gunicorn==23.0.0\n' }], []],
    ['a -r include without gunicorn', '["gunicorn", "app:app"]', [{ path: 'requirements.txt', content: '-r requirements/base.txt\n' }, { path: 'requirements/base.txt', content: 'flask==3.1.0\n' }], ['Dockerfile:6']],
    ['uvicorn through fastapi[standard]', '["uvicorn", "main:app"]', [{ path: 'requirements.txt', content: 'fastapi[standard]==0.115.0\n' }], []],
    ['python -m uvicorn without uvicorn', '["python", "-m", "uvicorn", "main:app"]', [{ path: 'requirements.txt', content: 'fastapi==0.115.0\n' }], ['Dockerfile:6']],
    ['python itself is always there', '["python", "main.py"]', [{ path: 'requirements.txt', content: 'flask\n' }], []],
    ['an absolute venv path to celery', '["/opt/venv/bin/celery", "worker"]', [{ path: 'requirements.txt', content: 'flask\n' }], ['Dockerfile:6']],
    ['django-admin from Django', '["django-admin", "migrate"]', [{ path: 'requirements.txt', content: 'Django==5.1\n' }], []],
    ['a dependency file the project does not have: not judged', '["gunicorn", "app:app"]', [], []],
  ])('%s', (_name, cmd, deps, expected) => {
    expect(pi09([{ path: 'Dockerfile', content: dockerfile(cmd) }, ...deps])).toEqual(expected);
  });

  it('reads [project].dependencies of pyproject.toml when the Dockerfile installs the project', () => {
    const df = ['FROM python:3.12-slim-bookworm', 'COPY . /app', 'RUN pip install --no-cache-dir /app', 'RUN pip install --no-cache-dir .', 'CMD ["hypercorn", "app:app"]', ''].join('\n');
    const pyproject = (deps: string) => `[project]\nname = "demo"\nversion = "1"\ndependencies = [${deps}]\n`;
    expect(pi09([{ path: 'Dockerfile', content: df }, { path: 'pyproject.toml', content: pyproject('"quart", "hypercorn>=0.17"') }])).toEqual([]);
    expect(pi09([{ path: 'Dockerfile', content: df }, { path: 'pyproject.toml', content: pyproject('"quart"') }])).toEqual(['Dockerfile:5']);
  });

  it('the generator\'s own pattern: deps from a bind-mounted pyproject.toml (the /tmp requirements file is built in the image)', () => {
    const df = (install: string, args = '') =>
      [
        'ARG PYTHON_IMAGE=python:3.12-slim-bookworm',
        args,
        'FROM ${PYTHON_IMAGE} AS builder',
        args ? 'ARG SERVER_PACKAGE' : '',
        'RUN python -m venv --without-pip /opt/venv',
        'RUN --mount=type=bind,source=pyproject.toml,target=/tmp/pyproject.toml \\',
        '    python -c "import tomllib" > /tmp/requirements.txt \\',
        `    && ${install}`,
        'FROM ${PYTHON_IMAGE} AS runtime',
        'COPY --from=builder /opt/venv /opt/venv',
        'CMD ["gunicorn", "flaskr:create_app()"]',
        '',
      ].join('\n');
    const pyproject = { path: 'pyproject.toml', content: '[project]\nname = "flaskr"\nversion = "1"\ndependencies = ["flask>=2.2", "Flask-Migrate>=4.0"]\n' };
    expect(pi09([{ path: 'Dockerfile', content: df('pip --python /opt/venv/bin/python install -r /tmp/requirements.txt') }, pyproject])).toEqual(['Dockerfile:11']);
    // The server provisioned from a global ARG default re-declared in the stage, with pip --python or uv pip.
    for (const install of ['pip --python /opt/venv/bin/python install -r /tmp/requirements.txt "${SERVER_PACKAGE}"', 'uv pip install --python /opt/venv/bin/python -r /tmp/requirements.txt "${SERVER_PACKAGE}"']) {
      expect(pi09([{ path: 'Dockerfile', content: df(install, 'ARG SERVER_PACKAGE=gunicorn==23.0.0') }, pyproject])).toEqual([]);
    }
    // A global ARG that the stage does not re-declare is empty there (Docker's scoping): still missing.
    const unscoped = df('pip --python /opt/venv/bin/python install -r /tmp/requirements.txt "${SERVER_PACKAGE}"', 'ARG SERVER_PACKAGE=gunicorn==23.0.0').replace('ARG SERVER_PACKAGE\n', '\n');
    expect(pi09([{ path: 'Dockerfile', content: unscoped }, pyproject])).toEqual(['Dockerfile:11']);
  });

  it('a base image other than plain Python may ship the server itself: not judged', () => {
    const df = ['FROM tiangolo/uvicorn-gunicorn:python3.11', 'COPY requirements.txt /tmp/', 'RUN pip install --no-cache-dir -r /tmp/requirements.txt', 'CMD ["gunicorn", "main:app"]', ''].join('\n');
    expect(pi09([{ path: 'Dockerfile', content: df }, { path: 'requirements.txt', content: 'fastapi\n' }])).toEqual([]);
    expect(pi09([{ path: 'Dockerfile', content: df.replace('tiangolo/uvicorn-gunicorn:python3.11', 'python:3.11-slim') }, { path: 'requirements.txt', content: 'fastapi\n' }])).toEqual(['Dockerfile:4']);
  });
});

describe('the new compose rules leave partial services and host shell variables alone', () => {
  it('a database in an override file that only adds a port is judged in the base file, not there', () => {
    const base = ['services:', '  db:', '    image: postgres:17-bookworm', ''].join('\n');
    const override = ['services:', '  db:', '    ports: ["127.0.0.1:5432:5432"]', ''].join('\n');
    const report = auditFiles([{ path: 'compose.yaml', content: base }, { path: 'compose.override.yaml', content: override }], { shellcheck: 'off' });
    expect(report.findings.filter((f) => f.file === 'compose.override.yaml').map((f) => f.ruleId)).toEqual([]);
    expect(report.findings.filter((f) => f.file === 'compose.yaml').map((f) => f.ruleId)).toEqual(expect.arrayContaining(['PG-02', 'PG-07', 'PG-08', 'CP-18']));
  });

  it('${HOME} needs neither a default nor an .env.example entry', () => {
    const compose = ['services:', '  web:', '    image: nginx:1.27-bookworm', '    volumes: ["${HOME}/.cache:/cache:ro", "${DATA_DIR}:/data"]', ''].join('\n');
    const report = auditFiles([{ path: 'compose.yaml', content: compose }, { path: '.env.example', content: 'DATA_DIR=./data\n' }], { shellcheck: 'off' });
    expect(report.findings.filter((f) => f.ruleId === 'CP-20' || f.ruleId === 'EV-01').map((f) => f.message)).toEqual(['`${DATA_DIR}` has no default and no `:?`: when it is unset compose substitutes an empty string and starts anyway']);
  });
});
