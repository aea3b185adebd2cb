/** The published package, not the repo: `npm pack`, install the tarball, run `npx` and `npm create`. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers.js';

describe('a packed tarball', () => {
  const work = tempDir('pyimage-pack-');
  afterAll(() => work.cleanup());

  it('works with `npx create-pyimage` and `npm create pyimage`', async () => {
    const env = { CI: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    const packed = await execa('npm', ['pack', '--pack-destination', work.dir], { cwd: repoRoot, env });
    const tarball = join(work.dir, packed.stdout.trim().split('\n').pop()!);
    expect(existsSync(tarball)).toBe(true);

    const project = join(work.dir, 'consumer');
    await execa('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await execa('npm', ['install', tarball], { cwd: project, env });

    const version = await execa('npx', ['create-pyimage', '--version'], { cwd: project, env });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);

    const viaNpx = await execa('npx', ['create-pyimage', 'svc-a', '--yes', '--framework', 'flask'], { cwd: project, env, reject: false });
    expect(viaNpx.exitCode, viaNpx.stderr).toBe(0);
    expect(readFileSync(join(project, 'svc-a', 'Dockerfile'), 'utf8')).toMatch(/"gunicorn"/);

    const viaCreate = await execa('npm', ['create', 'pyimage', '--', 'svc-b', '--yes', '--postgres'], { cwd: project, env, reject: false });
    expect(viaCreate.exitCode, viaCreate.stderr).toBe(0);
    expect(readFileSync(join(project, 'svc-b', 'docker-compose.yml'), 'utf8')).toMatch(/^ {2}db:$/m);
  }, 240_000);
});
