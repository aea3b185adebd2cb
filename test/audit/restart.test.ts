/** CP-11 as a behaviour: the stack comes back after a reboot or an engine restart (issue 21). */
import { describe, expect, it } from 'vitest';
import { auditFiles } from '../../generators/audit/index.js';
import type { AuditFile } from '../../generators/audit/types.js';
import { renderProject } from '../../generators/render/index.js';
import { answersFor } from '../../generators/render/matrix.js';

const SERVICE = [
  '    image: nginx:1.27-bookworm',
  '    security_opt: ["no-new-privileges:true"]',
  '    healthcheck: {test: ["CMD", "true"], interval: 10s, timeout: 3s, retries: 3, start_period: 5s}',
  '    deploy: {resources: {limits: {cpus: "0.5", memory: 128m, pids: 64}}}',
  '    logging: {driver: local}',
];

const compose = (restart: string | undefined, path = 'docker-compose.yml'): AuditFile => ({
  path,
  content: ['services:', '  web:', ...SERVICE, ...(restart === undefined ? [] : [`    restart: ${restart}`]), ''].join('\n'),
});

function cp11(files: AuditFile[]): string[] {
  return auditFiles(files, { shellcheck: 'off' }).findings.filter((f) => f.ruleId === 'CP-11').map((f) => `${f.file}:${f.line} ${f.message}`);
}

const SYSTEMD_UNIT = [
  '[Unit]', 'Description=web stack', 'After=docker.service', '',
  '[Service]', 'Type=oneshot', 'RemainAfterExit=yes', 'WorkingDirectory=/srv/web', 'ExecStart=/usr/bin/docker compose up -d', '',
  '[Install]', 'WantedBy=multi-user.target', '',
].join('\n');

describe('CP-11: back by itself after a reboot or an engine restart', () => {
  it('flags on-failure:N without a boot unit: a server exits 0 on the engine\'s SIGTERM and is never started again', () => {
    const found = cp11([compose('on-failure:5')]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^docker-compose.yml:8 .*on-failure:5.*exits 0.*no boot unit/);
    expect(cp11([compose('on-failure')])).toHaveLength(1);
  });

  it('flags a long-running service with no restart policy at all, at its line', () => {
    expect(cp11([compose(undefined)])).toEqual([expect.stringMatching(/^docker-compose.yml:2 `web` has no restart policy/)]);
  });

  it('accepts unless-stopped and always (the engine backs off, doubling up to a minute)', () => {
    expect(cp11([compose('unless-stopped')])).toEqual([]);
    expect(cp11([compose('always')])).toEqual([]);
  });

  it('accepts restart "no" on a one-shot job and leaves an override file\'s inherited value alone', () => {
    expect(cp11([compose('"no"')])).toEqual([]);
    const base = compose('unless-stopped');
    const override = { path: 'docker-compose.prod.yml', content: 'services:\n  web:\n    environment: {A: b}\n' };
    expect(cp11([base, override])).toEqual([]);
  });

  it('accepts on-failure:N together with a boot unit: a systemd unit running compose, a Quadlet unit or a script that installs one', () => {
    expect(cp11([compose('on-failure:5'), { path: 'deploy/web-stack.service', content: SYSTEMD_UNIT }])).toEqual([]);
    const quadlet = { path: 'deploy/web.container', content: '[Container]\nImage=web:1\n\n[Install]\nWantedBy=default.target\n' };
    expect(cp11([compose('on-failure:5'), quadlet])).toEqual([]);
    const installer = renderProject(answersFor({})).find((f) => f.path === 'scripts/install-boot.sh')!;
    expect(cp11([compose('on-failure:5'), { path: installer.path, content: installer.content }])).toEqual([]);
    // A unit that starts something else is no boot unit for the stack.
    const other = SYSTEMD_UNIT.replace('/usr/bin/docker compose up -d', '/usr/bin/backup --now');
    expect(cp11([compose('on-failure:5'), { path: 'deploy/backup.service', content: other }])).toHaveLength(1);
  });

  it('finds nothing in the generated stack: long-running services use unless-stopped, the migration "no"', () => {
    const files = renderProject(answersFor({ postgres: true, libpq: true, redis: true, migrations: 'alembic', worker: 'python -m w' }));
    const audit = files.filter((f) => !f.path.startsWith('.create-pyimage')).map((f) => ({ path: f.path, content: f.content }));
    expect(cp11(audit)).toEqual([]);
  });
});
