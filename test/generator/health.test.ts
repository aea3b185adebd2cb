/**
 * Health timing: compose probes every second until the first pass (start_interval, engines >= 25),
 * and on older engines, which refuse the key whatever its value, the generated scripts add an
 * override that removes it. The scripts run against a stand-in `docker` that reports the API version.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import { renderProject } from '../../generators/render/index.js';
import { tempDir } from '../helpers.js';

const t = tempDir('pyimage-health-');
afterAll(t.cleanup);

async function rendered() {
  const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask', postgres: true, worker: 'python -m app.worker' }, detected: {} });
  return renderProject(answers);
}

describe('health probe timing', () => {
  it('app, worker and db probe every second until healthy (a variable older engines set to 0s)', async () => {
    const files = await rendered();
    const compose = parseYaml(files.find((f) => f.path === 'docker-compose.yml')!.content) as { services: Record<string, { healthcheck: Record<string, unknown> }> };
    for (const service of ['app', 'worker', 'db']) {
      expect(compose.services[service]!.healthcheck).toMatchObject({ interval: '5s', start_interval: '${HEALTHCHECK_START_INTERVAL:-1s}' });
    }
    expect(files.find((f) => f.path === '.env.example')!.content).toMatch(/# Health probes every 1s until the first pass\. Docker Engine before 25 and Podman refuse the key: scripts\/ and smoke remove it there\.\nHEALTHCHECK_START_INTERVAL=1s\n/);
    // The image's own HEALTHCHECK has no --start-interval: older engines' builders reject the flag.
    expect(files.find((f) => f.path === 'Dockerfile')!.content).not.toContain('start-interval');
  });

  it.each([
    ['1.41', true],
    ['1.43', true],
    ['1.44', false],
    ['1.45', false],
    ['', false],
  ])('scripts/lib.sh on an engine with API %s: start_interval removed by an override: %s', async (api, removed) => {
    const dir = join(t.dir, `api-${api || 'none'}`);
    mkdirSync(join(dir, 'scripts'), { recursive: true });
    mkdirSync(join(dir, 'bin'));
    for (const f of (await rendered()).filter((f) => f.path.startsWith('scripts/'))) writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
    // A stand-in docker: Compose v2 and the daemon answer; `version` reports the API (none: an error).
    const fake = join(dir, 'bin', 'docker');
    writeFileSync(fake, `#!/bin/sh\nif [ "$1" = version ]; then [ -n "${api}" ] || exit 1; echo "${api}"; fi\nexit 0\n`);
    chmodSync(fake, 0o755);
    const r = await execa('bash', ['-c', 'source scripts/lib.sh; require_engine; printf "%s\\n" "${COMPOSE[@]}"'], {
      cwd: dir,
      env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, CONTAINER_ENGINE: 'docker' },
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const override = join(dir, '.create-pyimage', 'without-start-interval.yml');
    expect(r.stdout.includes(override)).toBe(removed);
    if (removed) {
      // Every service that probes faster at start, and only those (an unknown service would break compose).
      expect(parseYaml(readFileSync(override, 'utf8').replace(/!reset null/g, 'RESET'))).toEqual({
        services: Object.fromEntries(['app', 'worker', 'db'].map((s) => [s, { healthcheck: { start_interval: 'RESET' } }])),
      });
    }
  });
});
