/** A mistyped command (`create-pyimage smok`) is refused instead of scaffolding a folder `smok/`. */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nearCommand } from '../../generators/cli/typo.js';
import { runCli, tempDir } from '../helpers.js';

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

describe('a first argument close to a command name', () => {
  it.each([
    ['smok', 'smoke'],
    ['audti', 'audit'],
    ['updte', 'update'],
    ['buld', 'build'],
  ])('`create-pyimage %s --yes` exits 2 with "did you mean `%s`?" and writes nothing', async (typo, meant) => {
    const cwd = workDir();
    const r = await runCli([typo, '--yes'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`did you mean \`${meant}\`?`);
    expect(r.stderr).toContain(`./${typo}`); // and how to create such a folder on purpose
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('`./smok` and `--new-dir smok` create the folder; an existing folder of that name is generated into', async () => {
    const cwd = workDir();
    const byPath = await runCli(['./smok', '--yes'], { cwd });
    expect(byPath.exitCode, byPath.stderr).toBe(0);
    expect(existsSync(join(cwd, 'smok', 'docker-compose.yml'))).toBe(true);

    const byFlag = await runCli(['--new-dir', 'audti', '--yes'], { cwd });
    expect(byFlag.exitCode, byFlag.stderr).toBe(0);
    expect(existsSync(join(cwd, 'audti', 'scripts', 'up.sh'))).toBe(true);

    mkdirSync(join(cwd, 'buld'));
    const existing = await runCli(['buld', '--yes'], { cwd });
    expect(existing.exitCode, existing.stderr).toBe(0);
    expect(existsSync(join(cwd, 'buld', 'Dockerfile'))).toBe(true);
  });

  it('the folder given both as the argument and with --new-dir is refused', async () => {
    const cwd = workDir();
    const r = await runCli(['one', '--new-dir', 'two', '--yes'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--new-dir');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('the commands themselves still run: --help lists them, `audit` audits; `help` points at --help', async () => {
    const cwd = workDir();
    const help = await runCli(['help'], { cwd }); // the usage is --help; `help` would otherwise scaffold help/
    expect(help.exitCode).toBe(2);
    expect(help.stderr).toContain('did you mean `--help`?');
    const usage = await runCli(['--help'], { cwd });
    expect(usage.stdout).toMatch(/Usage: create-pyimage[\s\S]*Commands:[\s\S]*smoke/);
    const audit = await runCli(['audit', cwd], { cwd });
    expect(audit.exitCode).toBe(2); // an empty folder: nothing to audit, said as bad input
    expect(audit.stderr).toContain('has no Dockerfile');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('names a user is likely to mean as folders are not taken for commands', () => {
    for (const name of ['my-service', 'api', 'app', 'src', 'web', 'backend', 'a', 'docs']) expect(nearCommand(name), name).toBeUndefined();
    expect(nearCommand('aud')).toBe('audit'); // a prefix
    expect(nearCommand('SMOKE')).toBe('smoke');
    expect(nearCommand('deb')).toBe('dev'); // one edit from a three-letter command
  });
});
