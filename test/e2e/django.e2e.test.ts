/**
 * Django on a real engine: two projects written the ways Django projects read their settings
 * (DATABASE_URL through dj-database-url; separate SQL_* variables wired with --env), generated with
 * detection only plus what the user must say, then `smoke --json` with the compiled CLI. Offline:
 * the stand-in images and index from test/e2e/infra/setup.sh (Django 4.2 from Debian).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';
import type { SmokeResult, SmokeStep } from '../../generators/engine/smoke.js';
import { BUILD_ONLY_SECRET } from '../../generators/render/django.js';
import { ensureEngine, imageTrail, leftoversOf, removeImage, requireBuiltCli, type E2EEnv } from './engine.js';

const MINUTE = 60_000;
let e2e: E2EEnv;
const work = mkdtempSync(join(tmpdir(), 'pyimage-django-e2e-'));
const report: string[] = [];
const built = new Set<string>();
/** The host's own pip settings must not leak into the builds. */
const cleanEnv = { CI: 'true', PIP_INDEX_URL: '', PIP_FIND_LINKS: '', PYTHON_IMAGE: '', POSTGRES_IMAGE: '', BUILD_NETWORK: '', SERVER_PACKAGES: '' };

async function cli(args: string[], env: Record<string, string> = {}, timeout = 20 * MINUTE) {
  return execa('node', [cliPath, ...args], { cwd: repoRoot, env: { ...cleanEnv, ...env }, reject: false, stdin: 'ignore', timeout });
}

async function generate(fixture: string, name: string, flags: string[]): Promise<{ dir: string; stderr: string }> {
  const dir = join(work, name);
  cpSync(join(repoRoot, 'test', 'fixtures', fixture), dir, { recursive: true });
  const r = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, '--postgres-version', e2e.postgresVersion, ...flags], {}, 2 * MINUTE);
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return { dir, stderr: String(r.stderr) };
}

async function smoke(label: string, dir: string, env: Record<string, string> = {}): Promise<SmokeResult> {
  const started = performance.now();
  const args = ['smoke', dir, '--json', '--base-image', e2e.pythonImage, '--postgres-image', e2e.postgresImage, '--redis-image', e2e.redisImage, '--pip-index-url', e2e.indexUrl, '--build-network', 'host'];
  const r = await cli(args, env);
  let result: SmokeResult;
  try {
    result = JSON.parse(String(r.stdout)) as SmokeResult;
  } catch {
    throw new Error(`stdout is not one JSON object:\n${String(r.stdout)}\n--- stderr:\n${String(r.stderr)}`);
  }
  if (result.tag) built.add(result.tag);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  report.push(`  ${label.padEnd(44)} ${String(seconds).padStart(6)}s  ${result.size ? `${(result.size / 1e6).toFixed(1)} MB` : '-'}  ${result.tag}`);
  const failed = result.steps.filter((s) => !s.ok);
  expect(failed, `${result.message}\n${String(r.stderr)}`).toEqual([]);
  expect(r.exitCode).toBe(0);
  for (const name of ['migration exited 0', 'django check --deploy', 'health probe']) report.push(`      ${name}: ${step(result, name).detail.slice(0, 400)}`);
  return result;
}

function step(result: SmokeResult, name: string): SmokeStep {
  const found = result.steps.find((s) => s.name === name);
  expect(found, `step "${name}" in ${JSON.stringify(result.steps.map((s) => s.name))}`).toBeDefined();
  return found!;
}

/** Neither the throw-away build settings nor a real secret are in the image's config or history. */
async function expectNoSecretsInImage(result: SmokeResult, dir: string): Promise<void> {
  const trail = await imageTrail(result.imageId);
  expect(trail.length).toBeGreaterThan(100);
  expect(trail).toContain('COPY'); // the history is really there
  expect(trail).not.toContain(BUILD_ONLY_SECRET);
  expect(trail).not.toContain('collectstatic');
  for (const name of ['secret_key', 'db_password', ...(existsSync(join(dir, 'secrets', 'redis_password')) ? ['redis_password'] : [])]) {
    const secret = readFileSync(join(dir, 'secrets', name), 'utf8').trim();
    expect(secret.length).toBeGreaterThan(20);
    expect(trail).not.toContain(secret);
    expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).not.toContain(secret);
  }
}

beforeAll(async () => {
  e2e = await ensureEngine();
  requireBuiltCli();
}, 35 * MINUTE);

afterAll(async () => {
  for (const image of built) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
  if (report.length > 0) console.log(`\nDjango real-engine smoke cases (wall time, app image size):\n${report.join('\n')}\n`);
}, 5 * MINUTE);

describe.sequential('Django on a real engine', () => {
  it('(1) DATABASE_URL via dj-database-url, own app with migrations, WhiteNoise, a page listing rows, a Celery worker', async () => {
    // The worker command is the one detection suggests for the project's Celery app.
    const worker = 'celery -A shop.celery:app worker --loglevel INFO';
    const { dir, stderr } = await generate('e2e-django-dburl', 'e2e-django-dburl', ['--health-path', '/items/', '--worker', worker]);
    expect(stderr).toContain(`run it with --worker "${worker}"`);
    expect(stderr).toMatch(/CELERY_BROKER_URL = \{redis\.url\}/);
    // What detection found, as the user sees it.
    expect(stderr).toContain('Django: manage.py, settings shop.settings (shop/settings.py)');
    expect(stderr).toContain('WSGI application shop.wsgi:application');
    expect(stderr).toMatch(/STATIC_ROOT \/app\/staticfiles .*WhiteNoise serves it/);
    expect(stderr).toMatch(/DJANGO_ALLOWED_HOSTS = localhost,127\.0\.0\.1/);
    expect(stderr).toMatch(/DJANGO_DEBUG = False/);
    expect(stderr).toMatch(/DATABASE_URL = \{db\.url\}/);
    expect(stderr).toMatch(/the image installs gunicorn==/);
    // The stand-in index has gunicorn 20.1.0, not the pinned version: the build argument picks it.
    const result = await smoke('(1) django + DATABASE_URL + whitenoise + celery', dir, { SERVER_PACKAGES: 'gunicorn==20.1.0' });
    expect(step(result, 'migration exited 0').detail).toMatch(/inventory\.0002_seed_items\.\.\. OK/);
    // The page renders {% static %} through the manifest collectstatic wrote, and lists the seeded rows.
    expect(step(result, 'health probe').detail).toMatch(/\/items\/ -> 200 .*bolts: 120.*nuts: 80/);
    expect(step(result, 'health probe').detail).toMatch(/\/static\/inventory\/style\.[0-9a-f]{12}\.css/);
    expect(step(result, 'django check --deploy').detail).toMatch(/^manage\.py check --deploy: \d+ warnings?: security\.W\d+/);
    // The generated secret file is a key Django accepts: no W009 (shorter than 50 characters).
    expect(step(result, 'django check --deploy').detail).not.toContain('security.W009');
    expect(step(result, 'app runs as non-root').detail).toMatch(/^UID [1-9]\d*$/);
    expect(step(result, 'worker running').ok).toBe(true);
    expect(step(result, 'worker connected to redis').detail).toMatch(/^\d+ connections? from the worker/);
    await expectNoSecretsInImage(result, dir);
    expect(await leftoversOf(result.project)).toEqual([]);
  }, 25 * MINUTE);

  it('(2) separate SQL_* variables wired with --env, MEDIA_ROOT a volume the health view writes and reads', async () => {
    const { dir, stderr } = await generate('e2e-django-sql-media', 'e2e-django-sql', [
      '--health-path',
      '/health/',
      '--env',
      'SQL_ENGINE=django.db.backends.postgresql',
      '--env',
      'SQL_DATABASE={db.name}',
      '--env',
      'SQL_USER={db.user}',
      '--env',
      'SQL_PASSWORD={db.password}',
      '--env',
      'SQL_HOST={db.host}',
      '--env',
      'SQL_PORT={db.port}',
    ]);
    expect(stderr).toContain('MEDIA_ROOT (config/settings.py:42): /app/mediafiles is a volume');
    expect(stderr).toMatch(/no WhiteNoise: serve it from a reverse proxy/);
    // The settings split hosts on spaces and read DEBUG with int(): the values follow.
    expect(stderr).toContain('DJANGO_ALLOWED_HOSTS = localhost 127.0.0.1');
    expect(stderr).toContain('DEBUG = 0');
    expect(readFileSync(join(dir, 'README.Docker.md'), 'utf8')).toMatch(/Without it, Django serves no static files/);
    const result = await smoke('(2) django + SQL_* + media volume', dir);
    expect(step(result, 'migration exited 0').detail).toMatch(/uploads\.0001_initial\.\.\. OK/);
    expect(step(result, 'health probe').detail).toMatch(/\/health\/ -> 200 \{"status": "ok", "media": "media is writable", "uploads": 1\}/);
    expect(step(result, 'state directories writable').detail).toContain('/app/mediafiles');
    expect(step(result, 'django check --deploy').ok).toBe(true);
    await expectNoSecretsInImage(result, dir);
    expect(await leftoversOf(result.project)).toEqual([]);
  }, 25 * MINUTE);
});
