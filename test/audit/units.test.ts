/** Focused cases for each module: each test names the behaviour and would fail without it. */
import { describe, expect, it } from 'vitest';
import { auditFiles, classify, grade } from '../../generators/audit/index.js';
import { isIgnored, parseDockerignore } from '../../generators/audit/dockerignore.js';
import { formatJson, formatMarkdown, formatText } from '../../generators/audit/format.js';
import { unquotedExpansions } from '../../generators/audit/scripts.js';
import type { AuditFile, ShellcheckComment } from '../../generators/audit/types.js';
import { interpolate, worldWritable, type EnvValue } from '../../generators/audit/util.js';

/**
 * Rules added for issue 14 (and PI-09/PI-10) have their own cases in rules.test.ts and ci.test.ts;
 * the inputs below are minimal on purpose, so those rules are left out of the exact lists here.
 */
function older(f: { ruleId: string; file: string }): boolean {
  if (f.ruleId === 'EV-05') return !f.file.endsWith('.gitignore');
  return !/^(DF-(17|18|19|20|21)|CP-(18|20|22)|PG-0[1245789]|SH-(03|04|06|07|10)|EV-0[14]|PI-09|PI-10)$/.test(f.ruleId);
}

function findings(files: AuditFile[]) {
  return auditFiles(files, { shellcheck: 'off' }).findings.filter(older).map((f) => `${f.ruleId} ${f.file}:${f.line}`);
}

const GOOD_SERVICE = [
  '    security_opt: ["no-new-privileges:true"]',
  '    healthcheck: {test: ["CMD", "true"], interval: 10s, timeout: 3s, retries: 3, start_period: 5s}',
  '    deploy: {resources: {limits: {cpus: "0.5", memory: 128m, pids: 64}}}',
  '    logging: {driver: local}',
  '    restart: unless-stopped',
];

function compose(...serviceLines: string[]): string {
  return ['services:', '  web:', '    image: nginx:1.27-bookworm', ...GOOD_SERVICE, ...serviceLines, ''].join('\n');
}

describe('compose interpolation', () => {
  const env = new Map<string, EnvValue>([['SET', { value: 'x', file: '.env', line: 1 }], ['EMPTY', { value: '', file: '.env', line: 2 }]]);
  it.each([
    ['${UNSET:-127.0.0.1}', '127.0.0.1', false],
    ['${SET:-d}', 'x', false],
    ['${EMPTY:-d}', 'd', false],
    ['${EMPTY-d}', '', false],
    ['${UNSET:?must be set}', '', true],
    ['${UNSET}', '', true],
    ['$$HOME', '$HOME', false],
    ['${UNSET:-${SET:-z}}', 'x', false],
    ['${SET:+alt}', 'alt', false],
  ])('%s -> %j', (input, value, unresolved) => {
    const r = interpolate(input, env);
    expect(r.value).toBe(value);
    expect(r.unresolved).toBe(unresolved);
  });
});

describe('compose ports', () => {
  it('does not flag ${APP_BIND_IP:-127.0.0.1}:${APP_PORT:-8000}:8000', () => {
    expect(findings([{ path: 'docker-compose.yml', content: compose('    ports:', '      - "${APP_BIND_IP:-127.0.0.1}:${APP_PORT:-8000}:8000"') }])).toEqual([]);
  });

  it('flags it when .env sets APP_BIND_IP=0.0.0.0, naming the .env line', () => {
    const report = auditFiles(
      [
        { path: 'docker-compose.yml', content: compose('    ports:', '      - "${APP_BIND_IP:-127.0.0.1}:${APP_PORT:-8000}:8000"') },
        { path: '.env', content: 'APP_BIND_IP=0.0.0.0\n' },
      ],
      { shellcheck: 'off' },
    );
    expect(report.findings.filter(older).map((f) => `${f.ruleId} ${f.file}:${f.line}`)).toEqual(['CP-14 docker-compose.yml:10']);
    expect(report.findings.filter(older)[0]!.message).toContain('APP_BIND_IP=0.0.0.0 (.env:1)');
  });

  it('flags long syntax without host_ip and a bare container port', () => {
    expect(findings([{ path: 'compose.yaml', content: compose('    ports:', '      - target: 8000', '        published: 8080', '      - "9000"') }])).toEqual([
      'CP-14 compose.yaml:10',
      'CP-14 compose.yaml:12',
    ]);
  });

  it('allows a loopback-bound database port (dev override) but not an open one', () => {
    const db = (port: string) => ['services:', '  db:', '    image: postgres:17-bookworm', ...GOOD_SERVICE, '    ports:', `      - "${port}"`, ''].join('\n');
    expect(findings([{ path: 'compose.yaml', content: db('127.0.0.1:5432:5432') }])).toEqual([]);
    expect(findings([{ path: 'compose.yaml', content: db('0.0.0.0:5432:5432') }])).toEqual(['PG-06 compose.yaml:10']);
  });
});

describe('compose images and override files', () => {
  it('resolves ${POSTGRES_IMAGE:-...} before judging the tag', () => {
    const content = (image: string) => ['services:', '  db:', `    image: ${image}`, ...GOOD_SERVICE, ''].join('\n');
    expect(findings([{ path: 'compose.yaml', content: content('${POSTGRES_IMAGE:-postgres:17-bookworm}') }])).toEqual([]);
    expect(findings([{ path: 'compose.yaml', content: content('${POSTGRES_IMAGE:-postgres}') }])).toEqual(['CP-23 compose.yaml:3']);
    expect(findings([{ path: 'compose.yaml', content: content('redis@sha256:' + 'a'.repeat(64)) }])).toEqual([]);
  });

  it('audits an override file only for what it adds to services of the base file', () => {
    const base = { path: 'docker-compose.yml', content: compose() };
    const gpu = ['services:', '  web:', '    devices:', '      - /dev/dri:/dev/dri', '    group_add: ["${RENDER_GID:?set it}"]', ''].join('\n');
    expect(findings([base, { path: 'docker-compose.gpu.yml', content: gpu }])).toEqual([]);
    const bad = ['services:', '  web:', '    privileged: true', '    devices:', '      - /dev/mem:/dev/mem', '  extra:', '    image: busybox:1.36', ''].join('\n');
    const result = findings([base, { path: 'docker-compose.gpu.yml', content: bad }]);
    expect(result).toContain('CP-02 docker-compose.gpu.yml:3');
    expect(result).toContain('CP-17 docker-compose.gpu.yml:5');
    // A service the base file does not define is checked in full.
    expect(result).toContain('CP-08 docker-compose.gpu.yml:6');
    expect(result.filter((f) => f.includes(':2'))).toEqual([]);
  });

  it('reports YAML syntax errors as PI-08 at their line', () => {
    expect(findings([{ path: 'compose.yaml', content: 'services:\n  web:\n    image: [unclosed\n' }])[0]).toMatch(/^PI-08 compose.yaml:\d/);
  });

  it('accepts a one-shot job that disables the inherited healthcheck, not a long-running one', () => {
    const svc = (restart: string) => ['services:', '  job:', '    image: busybox:1.36', '    healthcheck: {disable: true}', `    restart: ${restart}`, ...GOOD_SERVICE.filter((l) => !l.includes('healthcheck') && !l.includes('restart')), ''].join('\n');
    expect(findings([{ path: 'compose.yaml', content: svc('"no"') }])).toEqual([]);
    expect(findings([{ path: 'compose.yaml', content: svc('unless-stopped') }])).toEqual(['CP-12 compose.yaml:4']);
  });

  it('does not report PI-06 when compose interpolates the .env value', () => {
    const files = (value: string) => [
      { path: 'compose.yaml', content: compose('    environment:', `      LOG_LEVEL: ${value}`) },
      { path: '.env', content: 'LOG_LEVEL=INFO\n' },
    ];
    expect(findings(files('${LOG_LEVEL:-INFO}'))).toEqual([]);
    expect(findings(files('ERROR'))).toEqual(['PI-06 compose.yaml:10']);
  });
});

describe('Dockerfile', () => {
  const df = (...lines: string[]) => [{ path: 'Dockerfile', content: lines.join('\n') + '\n' }, { path: '.dockerignore', content: '**/.git\n**/.env\n**/.env.*\nsecrets/\n**/.venv\n**/__pycache__\n**/*.pem\n**/*.key\n' }];
  const TAIL = ['USER 10001:10001', 'HEALTHCHECK CMD ["python", "-c", "pass"]', 'CMD ["python", "-m", "app"]'];
  const HEAD = ['ARG PY=python:3.12-slim-bookworm', 'FROM ${PY} AS builder', 'RUN python -m venv /opt/venv', 'FROM ${PY} AS runtime', 'COPY --from=builder /opt/venv /opt/venv'];

  it('a minimal hardened two-stage file is clean', () => {
    expect(findings(df(...HEAD, ...TAIL))).toEqual([]);
  });

  it.each(["<<'EOF'", '<<EOF', "<< 'EOF'", '<<-EOF'])('finds a heredoc script written with %s and skips its body', (opener) => {
    const result = findings(df(...HEAD, `RUN cat > /usr/local/bin/run.sh ${opener}`, 'cd /tmp', 'USER root', 'chmod 777 /x', 'EOF', ...TAIL));
    expect(result).toEqual(['PI-04 Dockerfile:6']);
  });

  it('reads a heredoc that RUN executes as commands', () => {
    expect(findings(df(...HEAD, 'RUN <<EOF', 'set -e', 'chmod 0777 /data', 'EOF', ...TAIL))).toEqual(['PI-03 Dockerfile:8']);
  });

  it('follows the last stage through FROM <alias> for USER and HEALTHCHECK', () => {
    const result = findings(df(...HEAD, ...TAIL, 'FROM runtime AS debug', 'USER 0'));
    expect(result).toEqual(['DF-06 Dockerfile:10']);
  });

  it('judges the ARG default of FROM, and a missing default', () => {
    expect(findings(df('ARG PY=python', 'FROM ${PY} AS builder', 'FROM ${PY} AS runtime', ...TAIL))).toEqual(['DF-03 Dockerfile:2', 'DF-03 Dockerfile:3']);
    expect(findings(df('ARG PY', 'FROM ${PY} AS builder', 'FROM ${PY} AS runtime', ...TAIL))[0]).toBe('DF-03 Dockerfile:2');
  });

  it('flags secret-like ARG/ENV but not *_FILE paths or proxy build args without a value', () => {
    expect(findings(df(...HEAD, 'ENV DB_PASSWORD_FILE=/run/secrets/db_password', 'ARG HTTP_PROXY', 'ARG GITHUB_TOKEN', ...TAIL))).toEqual(['DF-14 Dockerfile:8']);
  });

  it('pip in the runtime stage: system interpreter (PI-02) unless a venv is active', () => {
    expect(findings(df(...HEAD, 'RUN pip install --no-cache-dir -r requirements.txt', ...TAIL))).toEqual(['PI-02 Dockerfile:6']);
    expect(findings(df(...HEAD, 'ENV PATH=/opt/venv/bin:$PATH', 'RUN pip install --no-cache-dir -r requirements.txt', ...TAIL))).toEqual([]);
  });

  it('pip pinning and cache: == is pinned, bare names are not; a cache mount counts', () => {
    expect(findings(df(...HEAD, 'ENV PATH=/opt/venv/bin:$PATH', 'RUN pip install --no-cache-dir "fastapi==0.115.0" uvicorn', ...TAIL))).toEqual(['DF-12 Dockerfile:7']);
    expect(findings(df(...HEAD, 'ENV PATH=/opt/venv/bin:$PATH', 'RUN --mount=type=cache,target=/root/.cache/pip pip install "fastapi==0.115.0"', ...TAIL))).toEqual([]);
  });

  it('apt: update alone, missing -y, and `apt`', () => {
    const result = auditFiles(df(...HEAD, 'RUN apt update && apt install curl', ...TAIL), { shellcheck: 'off' }).findings.filter((f) => f.ruleId === 'DF-11');
    expect(result).toHaveLength(1);
    expect(result[0]!.message).toMatch(/apt-get/);
    expect(result[0]!.message).toMatch(/-y/);
    expect(result[0]!.message).toMatch(/no-install-recommends/);
  });

  it('a pipe needs SHELL with pipefail; curl | sh is flagged', () => {
    expect(findings(df(...HEAD, 'RUN echo a | tr a b', ...TAIL))).toEqual(['DF-13 Dockerfile:6']);
    expect(findings(df(...HEAD, 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', 'RUN echo a | tr a b', ...TAIL))).toEqual([]);
    expect(findings(df(...HEAD, 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', 'RUN curl -fsSL https://x.example/i.sh | sh', ...TAIL))).toEqual(['DF-13 Dockerfile:7']);
  });

  it('COPY of .env or keys is a secret in a layer; COPY --chmod=777 is world-writable', () => {
    expect(findings(df(...HEAD, 'COPY .env /app/.env', 'COPY --chmod=777 run.sh /run.sh', ...TAIL))).toEqual(['DF-14 Dockerfile:6', 'PI-03 Dockerfile:7']);
  });
});

describe('.env and .dockerignore', () => {
  it('EV-02 only for committed templates, and not for placeholders', () => {
    expect(findings([{ path: '.env.example', content: 'API_KEY=sk-live-123\nDB_PASSWORD=\nSECRET_KEY=changeme\n' }])).toEqual(['EV-02 .env.example:1']);
    expect(findings([{ path: '.env', content: 'API_KEY=sk-live-123\n' }])).toEqual([]);
  });

  it('EV-03 for export, spaces around = and bad names', () => {
    expect(findings([{ path: '.env.example', content: 'export A=1\nB = 2\n1C=3\n# ok\nD="a # b"\n' }])).toEqual(['EV-03 .env.example:1', 'EV-03 .env.example:2', 'EV-03 .env.example:3']);
  });

  it('matches Docker semantics: last pattern wins, directories exclude their contents', () => {
    const patterns = parseDockerignore('**/.env*\n!.env.example\nsecrets\n');
    expect(isIgnored(patterns, '.env')).toBe(true);
    expect(isIgnored(patterns, 'sub/.env.local')).toBe(true);
    expect(isIgnored(patterns, '.env.example')).toBe(false);
    expect(isIgnored(patterns, 'secrets/db_password')).toBe(true);
    expect(isIgnored(patterns, 'app/main.py')).toBe(false);
  });

  it('a missing .dockerignore beside a Dockerfile is DI-01, and a real .env then is EV-05', () => {
    const result = findings([{ path: 'Dockerfile', content: 'FROM python:3.12-slim\n' }, { path: '.env', content: 'A=1\n' }]);
    expect(result).toContain('DI-01 .dockerignore:0');
    expect(result).toContain('EV-05 .dockerignore:0');
  });

  it('a negation that re-includes .env is DI-02', () => {
    const result = findings([{ path: 'Dockerfile', content: 'FROM python:3.12-slim\n' }, { path: '.dockerignore', content: '**/.git\n**/.env\n**/.env.*\nsecrets/\n**/.venv\n**/__pycache__\n**/*.pem\n**/*.key\n!.env\n' }]);
    expect(result).toContain('DI-02 .dockerignore:9');
  });
});

describe('scripts', () => {
  const script = (...lines: string[]) => [{ path: 'run.sh', content: ['#!/usr/bin/env bash', 'set -Eeuo pipefail', ...lines, ''].join('\n'), mode: 0o755 }];

  it.each([
    ['echo "$a" "${b}" "$(date)"', []],
    ['x=$y; local z=${w}', []],
    ['[[ $a == b ]] && echo ok', []],
    ['case $a in *) ;; esac', []],
    ['echo $((1 + n))', []],
    ["echo '$not_expanded'", []],
    ['cd "$(dirname "${BASH_SOURCE[0]}")"', []],
    ['echo $a', ['$a']],
    ['rm ${dir}/x', ['${dir}']],
    ['echo $(date)', ['$(…)']],
    ['for f in $list; do :; done', ['$list']],
    ['cat <<EOF\n$inside_heredoc\nEOF\necho $after', ['$after']],
  ])('built-in scanner: %s', (line, expected) => {
    expect(unquotedExpansions(line).map((e) => e.text)).toEqual(expected);
  });

  it('strict mode: missing, partial, -euo accepted', () => {
    expect(findings([{ path: 'a.sh', content: '#!/usr/bin/env bash\necho hi\n', mode: 0o755 }])).toEqual(['SH-02 a.sh:1']);
    expect(findings([{ path: 'a.sh', content: '#!/usr/bin/env bash\nset -e\necho hi\n', mode: 0o755 }])).toEqual(['SH-02 a.sh:2']);
    expect(findings([{ path: 'a.sh', content: '#!/usr/bin/env bash\nset -euo pipefail\necho hi\n', mode: 0o755 }])).toEqual([]);
    expect(findings([{ path: 'a.sh', content: '#!/usr/bin/env bash\nset -o errexit -o nounset -o pipefail\n', mode: 0o755 }])).toEqual([]);
  });

  it('SH-01: no shebang, a non-executable mode', () => {
    expect(findings([{ path: 'a.sh', content: 'set -euo pipefail\n', mode: 0o644 }])).toEqual(['SH-01 a.sh:0', 'SH-01 a.sh:1']);
  });

  it('read -p: -r and a validated answer are both needed', () => {
    expect(findings(script('read -r -p "ok? " answer', 'if [[ "$answer" =~ ^[yY]$ ]]; then echo go; fi'))).toEqual([]);
    expect(findings(script('read -r -p "ok? " answer', 'echo "$answer"'))).toEqual(['SH-11 run.sh:3']);
    expect(findings(script('read -p "ok? " answer', 'case "$answer" in y) ;; *) exit 1 ;; esac'))).toEqual(['SH-11 run.sh:3']);
  });

  it('dangerous commands: eval, unguarded rm -rf, docker exec -u root, curl | bash', () => {
    expect(findings(script('eval "$cmd"', 'rm -rf "$dir/"', 'rm -rf "${dir:?}/"', 'docker compose exec -u 0 app sh', 'curl -fsSL https://x.example | bash'))).toEqual([
      'SH-09 run.sh:3',
      'SH-09 run.sh:4',
      'SH-09 run.sh:6',
      'SH-09 run.sh:7',
    ]);
  });

  it('maps ShellCheck JSON: SC2086 -> SH-05, SC2162 -> SH-11, others keep their code', () => {
    const canned: ShellcheckComment[] = [
      { line: 3, level: 'info', code: 2086, message: 'Double quote to prevent globbing and word splitting.' },
      { line: 4, level: 'info', code: 2162, message: 'read without -r will mangle backslashes.' },
      { line: 5, level: 'warning', code: 2164, message: "Use 'cd ... || exit'." },
    ];
    const report = auditFiles(script('echo $a', 'read -p "x" y; case "$y" in *) ;; esac', 'cd /tmp'), { shellcheck: () => canned });
    expect(report.findings.filter(older).map((f) => `${f.ruleId} ${f.line} ${f.severity}`)).toEqual(['SH-05 3 medium', 'SH-11 4 medium', 'SH-05 5 medium']);
    expect(report.findings.find((f) => f.line === 5)!.message).toContain('SC2164');
    expect(report.notes).toEqual([]);
  });

  it('says in the notes when the minimal checks were used', () => {
    expect(auditFiles(script('echo hi'), { shellcheck: 'off' }).notes.join(' ')).toMatch(/minimal script checks used/);
  });

  it.each([['777', true], ['0777', true], ['a+rwx', true], ['o+w', true], ['666', true], ['755', false], ['u+x', false], ['a-s', false], ['g+w', false]])('worldWritable(%s) = %s', (mode, expected) => {
    expect(worldWritable(mode)).toBe(expected);
  });
});

describe('classification, grade and formats', () => {
  it.each([
    ['Dockerfile', 'dockerfile'],
    ['docker/Dockerfile.prod', 'dockerfile'],
    ['api.Dockerfile', 'dockerfile'],
    ['docker-compose.yml', 'compose'],
    ['docker-compose.gpu.yml', 'compose'],
    ['compose.yaml', 'compose'],
    ['compose.prod.yaml', 'compose'],
    ['.env', 'env'],
    ['.env.example', 'env'],
    ['.dockerignore', 'dockerignore'],
    ['scripts/up.sh', 'script'],
    ['README.md', undefined],
    ['config.yml', undefined],
  ])('classify(%s) = %s', (path, kind) => {
    expect(classify(path)).toBe(kind);
  });

  it('grades from weighted counts', () => {
    expect(grade({ critical: 0, high: 0, medium: 0, low: 0 })).toBe('A');
    expect(grade({ critical: 0, high: 0, medium: 1, low: 1 })).toBe('A');
    expect(grade({ critical: 0, high: 1, medium: 0, low: 0 })).toBe('B');
    expect(grade({ critical: 0, high: 2, medium: 1, low: 0 })).toBe('C');
    expect(grade({ critical: 1, high: 0, medium: 0, low: 0 })).toBe('D');
    expect(grade({ critical: 3, high: 0, medium: 0, low: 0 })).toBe('F');
    expect(grade({ critical: 0, high: 11, medium: 0, low: 0 })).toBe('F');
  });

  const report = auditFiles(
    [
      { path: 'compose.yaml', content: 'version: "3"\nservices:\n  web:\n    image: nginx\n    privileged: true\n' },
    ],
    { shellcheck: 'off' },
  );

  it('text: header with counts, groups in severity order, file:line and rule', () => {
    const text = formatText(report);
    expect(text.split('\n')[0]).toMatch(/^create-pyimage audit: \d+ findings in 1 file \(critical 1, high 1, medium \d+, low \d+\), grade D$/);
    expect(text.indexOf('CRITICAL (1)')).toBeLessThan(text.indexOf('HIGH (1)'));
    expect(text).toContain('compose.yaml:5  CP-02 Privileged container');
    expect(text).toMatch(/why: .*\n\s+fix: /);
  });

  it('markdown: grade, summary table, findings table, prioritised fixes most severe first', () => {
    const md = formatMarkdown(report);
    expect(md).toContain('**Grade: D**');
    expect(md).toContain('| critical | 1 |');
    expect(md).toContain('| 1 | critical | CP-02 | `compose.yaml:5` |');
    const fixes = md.slice(md.indexOf('## Prioritised fixes'));
    expect(fixes.indexOf('CP-02')).toBeLessThan(fixes.indexOf('CP-23'));
    expect(fixes.indexOf('CP-23')).toBeLessThan(fixes.indexOf('CP-01'));
  });

  it('json: {summary, findings, notes} with the finding shape', () => {
    const parsed = JSON.parse(formatJson(report)) as { summary: Record<string, unknown>; findings: Record<string, unknown>[]; notes: string[] };
    expect(Object.keys(parsed.summary).sort()).toEqual(['critical', 'files', 'grade', 'high', 'low', 'medium', 'total']);
    expect(Object.keys(parsed.findings[0]!).sort()).toEqual(['file', 'fingerprint', 'fix', 'line', 'message', 'ruleId', 'severity', 'why']);
  });
});
