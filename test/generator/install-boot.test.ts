/**
 * scripts/install-boot.sh (issue 21): the systemd unit it writes for Podman (no restart policy
 * applies after a reboot without one), checked by systemd-analyze and read back the way systemd
 * reads it, in a project path with characters systemd treats specially; and --uninstall.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderProject } from '../../generators/render/index.js';
import { answersFor } from '../../generators/render/matrix.js';
import { tempDir } from '../helpers.js';
import { execWords, unitKeys } from '../systemd-unit.js';

const tmp = tempDir('pyimage-boot-');
afterAll(() => tmp.cleanup());

function writeProject(dir: string): void {
  for (const f of renderProject(answersFor({ postgres: true, libpq: true, redis: true, worker: 'rq worker' }))) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    chmodSync(path, f.mode);
  }
}

function install(dir: string, args: string[], engine = 'podman') {
  return spawnSync('bash', [join(dir, 'scripts', 'install-boot.sh'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.dir, CONTAINER_ENGINE: engine },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('scripts/install-boot.sh', () => {
  // %, $, a double quote and a space: systemd would expand or split each if written raw.
  const dir = join(tmp.dir, 'my "app" 100% $HOME');
  const units = join(tmp.dir, 'units');
  writeProject(dir);
  const unit = join(units, 'demo-service-stack.service');

  it('writes a unit that runs scripts/up.sh --no-build at boot and down.sh at shutdown (data kept)', () => {
    const r = install(dir, ['--unit-dir', units, '--no-enable']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${unit}`);
    const text = readFileSync(unit, 'utf8');
    const keys = unitKeys(text);
    expect(keys.get('Unit.Wants')).toEqual(['network-online.target podman.socket']);
    expect(keys.get('Unit.After')).toEqual(['network-online.target podman.socket']);
    expect(keys.get('Service.Type')).toEqual(['oneshot']);
    expect(keys.get('Service.RemainAfterExit')).toEqual(['yes']);
    expect(keys.get('Service.Environment')).toEqual(['CONTAINER_ENGINE=podman']);
    // As root a system unit, started with the machine.
    expect(keys.get('Install.WantedBy')).toEqual(['multi-user.target']);
    const start = execWords(keys.get('Service.ExecStart')![0]!);
    expect(start).toEqual(['/usr/bin/env', 'bash', join(dir, 'scripts', 'up.sh'), '--no-build']);
    expect(existsSync(start[2]!)).toBe(true);
    const stop = execWords(keys.get('Service.ExecStop')![0]!);
    expect(stop).toEqual(['/usr/bin/env', 'bash', join(dir, 'scripts', 'down.sh')]);
    // up.sh waits up to 180 s for health: systemd must wait longer before it gives up.
    expect(Number(keys.get('Service.TimeoutStartSec')![0])).toBeGreaterThan(180);
  });

  it('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(r.error, 'systemd-analyze must be installed (test/e2e/infra/setup.sh installs the systemd package)').toBeUndefined();
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/demo-service-stack\.service:\d+/);
  });

  it('writes a Docker unit after docker.service; rewriting replaces the file', () => {
    const r = install(dir, ['--unit-dir', units, '--no-enable'], 'docker');
    expect(r.status, r.stderr).toBe(0);
    const keys = unitKeys(readFileSync(unit, 'utf8'));
    expect(keys.get('Unit.After')).toEqual(['network-online.target docker.service']);
    expect(keys.get('Service.Environment')).toEqual(['CONTAINER_ENGINE=docker']);
    expect(execFileSync('ls', ['-A', units], { encoding: 'utf8' }).trim()).toBe('demo-service-stack.service');
  });

  it('--uninstall removes the unit, and says so when there is none', () => {
    const r = install(dir, ['--uninstall', '--unit-dir', units, '--no-enable']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(unit)).toBe(false);
    expect(r.stderr).toContain(`removed ${unit}`);
    const again = install(dir, ['--uninstall', '--unit-dir', units, '--no-enable']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('nothing to remove');
  });

  it('refuses an unknown option with usage, writing nothing', () => {
    const r = install(dir, ['--unit-dir', join(tmp.dir, 'none'), '--bogus']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('unknown option: --bogus');
    expect(existsSync(join(tmp.dir, 'none'))).toBe(false);
  });
});
