import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditFiles, auditProject } from '../../generators/audit/index.js';
import type { AuditReport } from '../../generators/audit/types.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUTS, renderCaddyJson } from '../../generators/render/proxy/caddy.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const BAD = join(FIXTURES, 'audit-proxy-bad');
const GOOD = join(FIXTURES, 'audit-proxy-good');

function lineOf(dir: string, file: string, marker: string): number {
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  const hits = lines.flatMap((t, i) => (t.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`marker ${marker} found ${hits.length} times`);
  return hits[0]!;
}

const px = (r: AuditReport) => r.findings.filter((f) => f.ruleId.startsWith('PX-')).map((f) => `${f.ruleId}:${f.line}:${f.severity}`).sort();

describe('proxy rules on the full-stack FastAPI pattern and friends', () => {
  it('finds the socket, the missing redirect and HSTS, and the app published beside the proxy', async () => {
    const report = await auditProject(BAD, { shellcheck: 'off' });
    const at = (marker: string) => lineOf(BAD, 'docker-compose.yml', marker);
    expect(px(report)).toEqual(
      [
        `PX-01:${at('/var/run/docker.sock')}:critical`,
        `PX-02:${at('image: traefik')}:high`,
        `PX-03:${at('image: traefik')}:medium`,
        `PX-02:${at('image: nginx')}:high`,
        `PX-03:${at('image: nginx')}:medium`,
        `PX-02:${at('image: caddy')}:high`,
        `PX-03:${at('image: caddy')}:medium`,
        `PX-04:${at('"8000:8000"') - 1}:high`,
        `PX-04:${at('"127.0.0.1:8001:8000"') - 1}:medium`,
      ].sort(),
    );
    expect(report.findings.find((f) => f.ruleId === 'PX-01')!.message).toContain('traefik');
  });

  it('the generated front door passes: no PX finding, 80/443 on a bound IP are not CIS 5.8 findings', async () => {
    const report = await auditProject(GOOD, { shellcheck: 'off' });
    expect(px(report)).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === 'CP-14')).toEqual([]);
  });

  it('the good fixture is what the renderer writes today', () => {
    const text = renderCaddyJson({ domains: ['shop.example.com'], upstream: { host: 'app', port: 8000 }, healthPath: '/health', staticFiles: null, maxBodyBytes: DEFAULT_MAX_BODY_BYTES, timeouts: DEFAULT_TIMEOUTS, acmeEmail: 'ops@example.com' });
    expect(readFileSync(join(GOOD, 'proxy', 'caddy.json'), 'utf8')).toBe(text);
  });

  it('Caddy with redirects disabled in JSON and no redirect route is PX-02; localhost-only needs no HSTS', () => {
    const compose = 'services:\n  proxy:\n    image: caddy:2.8\n    volumes:\n      - ./caddy.json:/etc/caddy/caddy.json:ro\n';
    const json = (extra: string) => `{"apps":{"http":{"servers":{"s":{"listen":[":443"],"routes":[{"match":[{"host":["localhost"]}]}]${extra}}}}}}`;
    const run = (caddy: string) => px(auditFiles([{ path: 'docker-compose.yml', content: compose }, { path: 'caddy.json', content: caddy }], { shellcheck: 'off' }));
    expect(run(json(',"automatic_https":{"disable_redirects":true}'))).toEqual(['PX-02:3:high']);
    expect(run(json(''))).toEqual([]);
  });

  it('Traefik with a redirect and an HSTS middleware passes; an internal socket proxy is no PX-01', () => {
    const compose = [
      'services:',
      '  traefik:',
      '    image: traefik:3.0',
      '    ports: ["127.0.0.1:443:443"]',
      '    command:',
      '      - --entrypoints.web.http.redirections.entrypoint.to=websecure',
      '    labels:',
      '      - traefik.http.middlewares.sec.headers.stsSeconds=31536000',
      '  socket-proxy:',
      '    image: tecnativa/docker-socket-proxy:0.2',
      '    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"]',
    ].join('\n');
    const report = auditFiles([{ path: 'docker-compose.yml', content: compose }], { shellcheck: 'off' });
    expect(px(report)).toEqual([]);
    expect(report.findings.some((f) => f.ruleId === 'CP-16')).toBe(true);
  });
});
