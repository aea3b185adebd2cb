import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot, runCli, tempDir } from '../helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function workDir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('--proxy: bad input exits 2, names the field, writes nothing', () => {
  const cases: [string, string[], RegExp][] = [
    ['a domain that is not a hostname', ['--proxy', 'caddy', '--domain', 'https://shop.example.com/'], /domain: "https:\/\/shop\.example\.com\/" must be a bare hostname or IP address/],
    ['a domain with a bad label', ['--proxy', 'caddy', '--domain', 'shop_1.example.com'], /domain: "shop_1\.example\.com" is not a hostname/],
    ['the app on the proxy\'s port', ['--proxy', 'caddy', '--port', '443'], /port: "443" is not allowed/],
    ['--proxy with an unknown value', ['--proxy', 'traefik'], /proxy: "traefik" is not allowed; choose one of: none, caddy/],
    ['--domain without --proxy', ['--domain', 'shop.example.com'], /domain: is only used with --proxy caddy/],
    ['an ACME e-mail that is not one', ['--proxy', 'caddy', '--acme-email', 'ops at example'], /acme-email: "ops at example" is not an e-mail address/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const parent = workDir();
      const dir = join(parent, 'svc');
      const r = await runCli([dir, '--yes', ...args]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(dir)).toBe(false);
      expect(readdirSync(parent)).toEqual([]);
    });
  }
});

describe('--proxy caddy', () => {
  it('the proxy is the only published service, its config names the domains, the app publishes nothing', async () => {
    const dir = join(workDir(), 'svc');
    const r = await runCli([dir, '--yes', '--proxy', 'caddy', '--domain', 'shop.example.com', '--domain', 'shop.internal', '--acme-email', 'ops@example.com']);
    expect(r.exitCode, r.stderr).toBe(0);
    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
    const published = Object.entries(compose.services).filter(([, s]) => s.ports !== undefined).map(([n]) => n);
    expect(published).toEqual(['proxy']);
    const proxy = compose.services.proxy!;
    expect(proxy.ports).toEqual(['${PROXY_BIND_IP:-127.0.0.1}:${PROXY_HTTP_PORT:-80}:80', '${PROXY_BIND_IP:-127.0.0.1}:${PROXY_HTTPS_PORT:-443}:443', '${PROXY_BIND_IP:-127.0.0.1}:${PROXY_HTTPS_PORT:-443}:443/udp']);
    expect(proxy).toMatchObject({ user: '10080:10080', read_only: true, cap_drop: ['ALL'] });
    expect(proxy.cap_add).toBeUndefined();
    expect(JSON.stringify(compose)).not.toContain('docker.sock');
    const caddy = JSON.parse(readFileSync(join(dir, 'proxy', 'caddy.json'), 'utf8'));
    expect(caddy.apps.tls.automation.policies).toEqual([
      { subjects: ['shop.internal'], issuers: [{ module: 'internal' }] },
      { subjects: ['shop.example.com'], issuers: [{ module: 'acme', email: 'ops@example.com' }] },
    ]);
    const env = readFileSync(join(dir, '.env.example'), 'utf8');
    expect(env).toMatch(/^CADDY_IMAGE=caddy:2\.8\.4-alpine$/m);
    expect(env).toMatch(/^PROXY_BIND_IP=127\.0\.0\.1$/m);
    expect(env).not.toMatch(/^APP_PORT=/m);
    const readme = readFileSync(join(dir, 'README.Docker.md'), 'utf8');
    expect(readme).toContain('HTTPS at the front door');
    expect(readme).toContain('/data/caddy/pki/authorities/local/root.crt');
    expect(readme).toMatch(/`shop\.example\.com`\*\* get certificates from Let's Encrypt/);
  });

  it('Django: ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS get the domains, as https origins', async () => {
    const dir = join(workDir(), 'shop');
    cpSync(join(repoRoot, 'test', 'fixtures', 'e2e-django-dburl'), dir, { recursive: true });
    const r = await runCli([dir, '--yes', '--postgres', '--proxy', 'caddy', '--domain', 'shop.example.com']);
    expect(r.exitCode, r.stderr).toBe(0);
    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
    const env = compose.services.app!.environment!;
    expect(env.DJANGO_CSRF_TRUSTED_ORIGINS).toBe('https://shop.example.com');
    expect(env.DJANGO_ALLOWED_HOSTS).toBe('localhost,127.0.0.1,shop.example.com');
  });

  it('update --set proxy=caddy adds the front door to an existing project', async () => {
    const dir = join(workDir(), 'svc');
    expect((await runCli([dir, '--yes'])).exitCode).toBe(0);
    const r = await runCli(['update', dir, '--set', 'proxy=caddy', '--yes']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
    expect(compose.services.proxy).toBeDefined();
    expect(compose.services.app!.ports).toBeUndefined();
    expect(existsSync(join(dir, 'proxy', 'caddy.json'))).toBe(true);
  });
});
