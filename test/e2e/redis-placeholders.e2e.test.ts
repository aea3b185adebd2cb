/**
 * Issue 18 (3): an app that reads the Redis host (REDIS) and password (REDIS_PWD) as separate
 * settings and exits at import when Redis does not answer, wired with {redis.host} and
 * {redis.password} only, comes up healthy on the real engine. The password reaches the app from
 * the secret file at start (the image's entrypoint), never through compose or .env.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, removeImage, type E2EEnv } from './engine.js';
import { cli, expectNothingLeft, expectPassed, fromFixture, MINUTE, smokeJson, standIns, step, workDir } from './harness.js';

let e2e: E2EEnv;
const work = workDir('pyimage-redis-split-');
const images = new Set<string>();

beforeAll(async () => {
  e2e = await ensureEngine();
}, 35 * MINUTE);

afterAll(async () => {
  for (const image of images) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
}, 5 * MINUTE);

describe('Redis host and password as separate settings', () => {
  it('--env REDIS={redis.host} --env REDIS_PWD={redis.password}: the app pings Redis at import and is healthy', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-redis-split', 'redis-split');
    const r = await cli([dir, '--yes', '--name', 'e2e-redis-split', '--python', e2e.pythonVersion, '--env', 'REDIS={redis.host}', '--env', 'REDIS_PWD={redis.password}'], {
      timeout: 2 * MINUTE,
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/adding a Redis service/);
    expect(String(r.stderr)).toMatch(/REDIS = \{redis\.host\}/);
    expect(String(r.stderr)).toMatch(/REDIS_PWD = \{redis\.password\}/);
    const compose = readFileSync(join(dir, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('REDIS: redis');
    expect(compose).toContain('REDIS_PWD: "{secret:redis_password}"');

    const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { redis: true })], { SERVER_PACKAGES: 'gunicorn==20.1.0' });
    if (run.result.tag) images.add(run.result.tag);
    expectPassed(run);
    // The app answered after pinging Redis with the password it read from the secret at start.
    expect(step(run.result, 'health probe').detail).toMatch(/-> 200 \{"hits":\d+,"redis":true\}/);
    expect(step(run.result, 'redis answers with its password').detail).toBe('PING without the password -> NOAUTH; with the secret -> PONG');
    expect(step(run.result, 'every service healthy').detail).toMatch(/app running \(healthy\)/);
    // Nothing but the token is in the files the user keeps: the password stays in secrets/.
    const password = readFileSync(join(dir, 'secrets', 'redis_password'), 'utf8').trim();
    expect(password.length).toBeGreaterThan(8);
    for (const file of ['docker-compose.yml', '.env.example']) expect(readFileSync(join(dir, file), 'utf8')).not.toContain(password);
    await expectNothingLeft(run.result.project);
  }, 20 * MINUTE);
});
