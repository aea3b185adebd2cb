import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    ['--static-files with an unknown value', ['--proxy', 'caddy', '--static-files', 'cdn'], /static-files: "cdn" is not allowed; choose one of: proxy, app/],
    ['--static-files proxy without --proxy', ['--static-files', 'proxy'], /static-files: "proxy" serves Django's collected static files from the proxy: it needs --proxy caddy/],
    ['--static-files proxy for an app that is not Django', ['--proxy', 'caddy', '--static-files', 'proxy'], /static-files: .* it needs --framework django/],
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

describe('--static-files: who serves Django\'s collected static files behind the proxy', () => {
  type Compose = { services: Record<string, Record<string, any>>; volumes?: Record<string, unknown> };
  async function generate(settings: (text: string) => string, args: string[]) {
    const dir = join(workDir(), 'shop');
    cpSync(join(repoRoot, 'test', 'fixtures', 'e2e-django-dburl'), dir, { recursive: true });
    const path = join(dir, 'shop', 'settings.py');
    writeFileSync(path, settings(readFileSync(path, 'utf8')));
    const r = await runCli([dir, '--yes', '--postgres', '--proxy', 'caddy', ...args]);
    expect(r.exitCode, r.stderr).toBe(0);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { compose: parseYaml(read('docker-compose.yml')) as Compose, caddy: read('proxy/caddy.json'), deploy: read('scripts/deploy.sh'), dockerfile: read('Dockerfile'), readme: read('README.Docker.md'), manifest: JSON.parse(read('.create-pyimage.json')) };
  }
  const withoutWhiteNoise = (text: string) => text.replace(/^.*whitenoise\.middleware\.WhiteNoiseMiddleware.*\n/m, '');

  it('WhiteNoise in MIDDLEWARE: the app keeps serving them; no static volume, no job, no file server', async () => {
    const out = await generate((t) => t, []);
    expect(out.manifest.answers.staticFiles).toBe('app');
    expect(out.compose.services['static-copy']).toBeUndefined();
    expect(out.compose.volumes?.static).toBeUndefined();
    expect(JSON.stringify(out.compose.services.proxy!.volumes)).not.toContain('static');
    expect(out.caddy).not.toContain('file_server');
    expect(out.deploy).not.toContain('static-copy');
    expect(out.dockerfile).not.toContain('.static-root');
  });

  it('no WhiteNoise: the proxy serves /static/ from a read-only volume the static-copy job fills from the image', async () => {
    const out = await generate(withoutWhiteNoise, []);
    expect(out.manifest.answers.staticFiles).toBe('proxy');
    const job = out.compose.services['static-copy']!;
    expect(job).toMatchObject({ image: out.compose.services.app!.image, network_mode: 'none', read_only: true, cap_drop: ['ALL'], restart: 'no', volumes: ['static:/srv/static'] });
    expect(job.entrypoint).toEqual(['cp', '-R', '/app/.static-root/.', '/srv/static/']);
    expect(job.user).toBeUndefined();
    const proxy = out.compose.services.proxy!;
    expect(proxy.volumes).toContain('static:/srv/static:ro');
    expect(proxy.depends_on['static-copy']).toEqual({ condition: 'service_completed_successfully' });
    expect(out.compose.volumes).toHaveProperty('static');
    expect(JSON.parse(out.caddy).apps.http.servers.https.routes[0].handle[0].routes.some((r: any) => JSON.stringify(r).includes('"file_server"') && r.match[0].path[0] === '/static/*')).toBe(true);
    // deploy.sh copies the new image's files before any new app container starts.
    expect(out.deploy.indexOf('run --rm --no-deps static-copy')).toBeGreaterThan(0);
    expect(out.deploy.indexOf('run --rm --no-deps static-copy')).toBeLessThan(out.deploy.indexOf('--scale "app='));
    expect(out.dockerfile).toContain('os.symlink(str(s.STATIC_ROOT), "/app/.static-root")');
    expect(out.dockerfile).toMatch(/^RUN mkdir -p \/srv\/static && chown 10001:10001 \/srv\/static$/m);
    expect(out.readme).toContain('The proxy serves them (`--static-files proxy`)');
  });

  it('the flag overrides detection both ways', async () => {
    expect((await generate((t) => t, ['--static-files', 'proxy'])).compose.services['static-copy']).toBeDefined();
    const app = await generate(withoutWhiteNoise, ['--static-files', 'app']);
    expect(app.compose.services['static-copy']).toBeUndefined();
    expect(app.caddy).not.toContain('file_server');
  });
});
