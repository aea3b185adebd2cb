import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditFiles, auditProject } from '../../generators/audit/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const BAD = join(FIXTURES, 'audit-django-bad');

function lineOf(file: string, marker: string): number {
  const lines = readFileSync(join(BAD, file), 'utf8').split('\n');
  const hits = lines.flatMap((text, i) => (text.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`marker ${JSON.stringify(marker)} found ${hits.length} times in ${file}`);
  return hits[0]!;
}

describe('Django audit rules (DJ-01..DJ-04)', () => {
  it('finds each failure mode at its line, and nothing in development settings or override files', async () => {
    const report = await auditProject(BAD, { shellcheck: 'off' });
    const dj = report.findings.filter((f) => f.ruleId.startsWith('DJ-')).map((f) => `${f.ruleId} ${f.file}:${f.line}`).sort();
    expect(dj).toEqual(
      [
        `DJ-01 docker-compose.yml:${lineOf('docker-compose.yml', 'DEBUG: "True"')}`,
        `DJ-01 docker-compose.yml:${lineOf('docker-compose.yml', 'DJANGO_DEBUG=1')}`,
        `DJ-02 docker-compose.yml:${lineOf('docker-compose.yml', 'DJANGO_ALLOWED_HOSTS: "*"')}`,
        `DJ-02 mysite/settings.py:${lineOf('mysite/settings.py', 'ALLOWED_HOSTS = ["*"]')}`,
        `DJ-03 mysite/settings.py:${lineOf('mysite/settings.py', 'SECRET_KEY = "django-insecure')}`,
        `DJ-03 mysite/settings_production.py:${lineOf('mysite/settings_production.py', 'change-me-in-production')}`,
        `DJ-04 Dockerfile:${lineOf('Dockerfile', 'runserver')}`,
        `DJ-04 docker-compose.yml:${lineOf('docker-compose.yml', 'runserver')}`,
      ].sort(),
    );
    const secret = report.findings.find((f) => f.ruleId === 'DJ-03')!;
    expect(secret.severity).toBe('high');
    expect(secret.fix).toMatch(/os\.environ\["DJANGO_SECRET_KEY"\]/);
  });

  it('settings that read everything from the environment give no Django finding', async () => {
    for (const fixture of ['e2e-django-dburl', 'e2e-django-sql-media', 'scan-django']) {
      const report = await auditProject(join(FIXTURES, fixture), { shellcheck: 'off' });
      expect(report.findings.filter((f) => f.ruleId.startsWith('DJ-')), fixture).toEqual([]);
    }
  });

  it('DEBUG off, a list of hosts and gunicorn as the command are fine; a YAML true is not', () => {
    const compose = (debug: string, command: string) =>
      auditFiles([{ path: 'docker-compose.yml', content: `services:\n  app:\n    image: x:1\n    command: ${command}\n    environment:\n      DEBUG: ${debug}\n      ALLOWED_HOSTS: example.com,www.example.com\n` }], { shellcheck: 'off' }).findings.filter((f) => f.ruleId.startsWith('DJ-'));
    expect(compose('"False"', '["gunicorn", "mysite.wsgi:application"]')).toEqual([]);
    expect(compose('"0"', 'gunicorn mysite.wsgi')).toEqual([]);
    expect(compose('true', 'gunicorn mysite.wsgi').map((f) => f.ruleId)).toEqual(['DJ-01']);
    expect(compose('"0"', 'sh -c "python manage.py migrate && python manage.py runserver"').map((f) => f.ruleId)).toEqual(['DJ-04']);
  });
});
