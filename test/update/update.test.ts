/** runUpdate on temp projects: every per-file outcome, dry runs, refusals, bookkeeping. */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import type { Answers } from '../../generators/answers/types.js';
import { UserError } from '../../generators/errors.js';
import { renderProject } from '../../generators/render/index.js';
import { runUpdate, type UpdateOptions } from '../../generators/update/run.js';
import { pristineFiles } from '../../generators/write/pristine.js';
import { commitPlan, planWrite } from '../../generators/write/tree.js';
import { snapshot, tempDir } from '../helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

export async function generate(flags: Partial<Record<keyof Answers, unknown>> = {}, dir?: string): Promise<string> {
  if (!dir) {
    const t = tempDir('pyimage-update-');
    cleanups.push(t.cleanup);
    dir = t.dir;
  }
  const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask', ...flags }, detected: {} });
  const rendered = renderProject(answers);
  commitPlan(dir, planWrite(dir, [...rendered, ...pristineFiles(rendered)], { overwrite: true }));
  return dir;
}


async function update(dir: string, options: UpdateOptions = {}) {
  const lines: string[] = [];
  const notes: string[] = [];
  const result = await runUpdate(dir, { out: (l) => lines.push(l), note: (l) => notes.push(l), ...options });
  return { ...result, output: lines.join('\n'), notes: notes.join('\n') };
}

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const write = (dir: string, path: string, text: string) => writeFileSync(join(dir, path), text);
const outcomes = (files: { path: string; outcome: string }[]) => Object.fromEntries(files.map((f) => [f.path, f.outcome]));

function userEdits(dir: string): void {
  const compose = read(dir, 'docker-compose.yml')
    .replace('          memory: 512m', '          memory: 1g')
    .replace(/\nnetworks:\n/, '\n  # Session cache (mine)\n  redis:\n    image: redis:7-alpine\n    networks:\n      - frontend\nnetworks:\n');
  write(dir, 'docker-compose.yml', compose);
  write(dir, 'Dockerfile', read(dir, 'Dockerfile').replace(/^USER /m, 'RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nUSER '));
}

describe('update: the issue scenario (redis, memory limit, apt package; --set postgres=true)', () => {
  it('adds db, secrets and scripts and keeps every user edit', async () => {
    const dir = await generate();
    userEdits(dir);
    const r = await update(dir, { set: ['postgres=true'] });
    expect(r.exitCode).toBe(0);
    expect(outcomes(r.files)).toMatchObject({
      Dockerfile: 'kept',
      'docker-compose.yml': 'merged',
      '.env.example': 'replaced',
      'scripts/up.sh': 'replaced',
      'scripts/backup-db.sh': 'added',
      'scripts/restore-db.sh': 'added',
      '.dockerignore': 'unchanged',
    });
    const compose = parseYaml(read(dir, 'docker-compose.yml'));
    expect(Object.keys(compose.services)).toEqual(['app', 'redis', 'db']);
    expect(compose.services.app.deploy.resources.limits.memory).toBe('1g');
    expect(compose.secrets).toEqual({ db_password: { file: './secrets/db_password' } });
    expect(read(dir, 'docker-compose.yml')).toContain('# Session cache (mine)');
    expect(read(dir, 'Dockerfile')).toContain('--no-install-recommends curl');
    expect(read(dir, '.env.example')).toContain('POSTGRES_IMAGE=postgres:17-bookworm');
    expect(statSync(join(dir, 'scripts/backup-db.sh')).mode & 0o111).not.toBe(0);
    // Bookkeeping follows the new rendering.
    const manifest = JSON.parse(read(dir, '.create-pyimage.json'));
    expect(manifest.answers.postgres).toBe(true);
    expect(read(dir, '.create-pyimage/pristine/docker-compose.yml')).toContain('  db:');
    expect(read(dir, '.create-pyimage/pristine/docker-compose.yml')).not.toContain('redis');
    expect(existsSync(join(dir, '.create-pyimage/pristine/scripts/backup-db.sh'))).toBe(true);
    // A second run changes nothing.
    const before = snapshot(dir);
    const again = await update(dir);
    expect(again.exitCode).toBe(0);
    expect(again.output).toContain('Answers unchanged.');
    expect(snapshot(dir)).toEqual(before);
  });

  it('merges the Dockerfile line by line when the generator changes it too (--set libpq=true)', async () => {
    const dir = await generate();
    userEdits(dir);
    const r = await update(dir, { set: ['postgres=true', 'libpq=true'] });
    expect(r.exitCode).toBe(0);
    expect(outcomes(r.files).Dockerfile).toBe('merged');
    const dockerfile = read(dir, 'Dockerfile');
    expect(dockerfile).toContain('--no-install-recommends curl');
    expect(dockerfile).toContain('libpq5');
  });
});

describe('update: conflicts', () => {
  it('writes markers, lists the files, exits 1 and loses nothing else', async () => {
    const dir = await generate();
    userEdits(dir);
    write(dir, 'Dockerfile', read(dir, 'Dockerfile').replace('EXPOSE 8000', 'EXPOSE 9000'));
    const r = await update(dir, { set: ['port=8080', 'postgres=true'] });
    expect(r.exitCode).toBe(1);
    expect(r.conflicts.map((c) => c.path)).toContain('Dockerfile');
    const dockerfile = read(dir, 'Dockerfile');
    expect(dockerfile).toContain('<<<<<<< yours\nEXPOSE 9000\n||||||| generated (previous)\nEXPOSE 8000\n=======\nEXPOSE 8080\n>>>>>>> generated (new)');
    expect(dockerfile).toContain('--no-install-recommends curl');
    expect(r.output).toMatch(/Conflicts written into \d+ files?:\n  Dockerfile: conflict markers at line \d+/);
    // Everything else was still updated, and the user's compose edits are there.
    const compose = parseYaml(read(dir, 'docker-compose.yml'));
    expect(compose.services.redis).toBeDefined();
    expect(compose.services.db).toBeDefined();
    expect(compose.services.app.deploy.resources.limits.memory).toBe('1g');
    expect(existsSync(join(dir, 'scripts/backup-db.sh'))).toBe(true);
    // The pristine copy is the new rendering: the next update does not re-apply the change.
    expect(read(dir, '.create-pyimage/pristine/Dockerfile')).toContain('EXPOSE 8080');
    // Until the markers are resolved, update refuses (exit 2) and writes nothing.
    const before = snapshot(dir);
    await expect(update(dir)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('Dockerfile') });
    expect(snapshot(dir)).toEqual(before);
    write(dir, 'Dockerfile', dockerfile.replace(/<<<<<<< yours\n(EXPOSE 9000)\n[\s\S]*?>>>>>>> generated \(new\)/, '$1'));
    const after = await update(dir);
    expect(after.exitCode).toBe(0);
    expect(outcomes(after.files).Dockerfile).toBe('kept');
  });

  it('compose: the same value changed both ways falls back to line markers', async () => {
    const dir = await generate();
    userEdits(dir);
    const r = await update(dir, { set: ['memory=2g'] });
    expect(r.exitCode).toBe(1);
    expect(r.conflicts.map((c) => c.path)).toEqual(['docker-compose.yml']);
    expect(r.output).toContain('services.app.deploy.resources.limits.memory');
    expect(read(dir, 'docker-compose.yml')).toContain('<<<<<<< yours\n          memory: 1g\n');
    expect(read(dir, 'docker-compose.yml')).toContain('redis:');
  });
});

describe('update: deleted and removed files', () => {
  it('a file the user deleted stays deleted, with a notice', async () => {
    const dir = await generate();
    rmSync(join(dir, 'scripts/logs.sh'));
    const r = await update(dir, { set: ['postgres=true'] });
    expect(r.exitCode).toBe(0);
    expect(outcomes(r.files)['scripts/logs.sh']).toBe('user-deleted');
    expect(existsSync(join(dir, 'scripts/logs.sh'))).toBe(false);
    expect(r.notes).toContain('you deleted scripts/logs.sh');
  });

  it('files the generator no longer renders: deleted when untouched, kept when edited', async () => {
    const dir = await generate({ postgres: true });
    write(dir, 'scripts/restore-db.sh', `${read(dir, 'scripts/restore-db.sh')}# mine\n`);
    const r = await update(dir, { set: ['postgres=false'] });
    expect(r.exitCode).toBe(0);
    expect(outcomes(r.files)['scripts/backup-db.sh']).toBe('removed-by-generator');
    expect(outcomes(r.files)['scripts/restore-db.sh']).toBe('removed-by-generator');
    expect(existsSync(join(dir, 'scripts/backup-db.sh'))).toBe(false);
    expect(read(dir, 'scripts/restore-db.sh')).toContain('# mine');
    expect(existsSync(join(dir, '.create-pyimage/pristine/scripts/backup-db.sh'))).toBe(false);
    expect(existsSync(join(dir, '.create-pyimage/pristine/scripts/restore-db.sh'))).toBe(false);
    expect(r.notes).toContain('scripts/restore-db.sh is no longer generated; kept');
    expect(parseYaml(read(dir, 'docker-compose.yml')).services.db).toBeUndefined();
  });

  it('drops stored answers that --set postgres=false made irrelevant (migrations)', async () => {
    const dir = await generate({ postgres: true, migrations: 'alembic' });
    const r = await update(dir, { set: ['postgres=false'] });
    expect(r.exitCode).toBe(0);
    expect(r.answers.migrations).toBe('none');
  });
});

describe('update: dry run and refusals write nothing', () => {
  it('--dry-run prints outcomes and unified diffs and writes nothing', async () => {
    const dir = await generate();
    userEdits(dir);
    const before = snapshot(dir);
    const r = await update(dir, { set: ['postgres=true'], dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/merged +docker-compose\.yml/);
    expect(r.output).toMatch(/added +scripts\/backup-db\.sh/);
    expect(r.output).toContain('+++ b/docker-compose.yml');
    expect(r.output).toContain('+  db:');
    expect(r.output).toContain('Dry run: nothing was written.');
    expect(snapshot(dir)).toEqual(before);
  });

  it('--dry-run with a conflict says so and exits 1, still writing nothing', async () => {
    const dir = await generate();
    write(dir, 'Dockerfile', read(dir, 'Dockerfile').replace('EXPOSE 8000', 'EXPOSE 9000'));
    const before = snapshot(dir);
    const r = await update(dir, { set: ['port=8080'], dryRun: true });
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain('These files would get 1 file');
    expect(snapshot(dir)).toEqual(before);
  });

  it.each([
    [['nope=1'], /nope: unknown answer in --set/],
    [['postgres=maybe'], /postgres: expected true or false/],
    [['postgres'], /--set postgres: expected key=value/],
    [['health-path=no-slash'], /health-path: .* is not allowed/],
    [['migrations=alembic'], /migrations: "alembic" needs a database/],
  ])('--set %j: exit 2 naming it, nothing written', async (set, message) => {
    const dir = await generate();
    const before = snapshot(dir);
    const error = await update(dir, { set }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toMatch(message);
    expect(snapshot(dir)).toEqual(before);
  });

  it('accepts flag names and answer keys alike in --set', async () => {
    const dir = await generate();
    const r = await update(dir, { set: ['health-path=/ready', 'healthPath=/live', 'worker=python -m app.worker'], dryRun: true });
    expect(r.answers.healthPath).toBe('/live');
    expect(r.answers.worker).toBe('python -m app.worker');
  });

  it('refuses a project without .create-pyimage.json (exit 2)', async () => {
    const t = tempDir('pyimage-update-');
    cleanups.push(t.cleanup);
    await expect(update(t.dir)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('not generated by create-pyimage: run `create-pyimage` first') });
  });

  it('refuses a project generated by a newer version (exit 2)', async () => {
    const dir = await generate();
    const manifest = JSON.parse(read(dir, '.create-pyimage.json'));
    write(dir, '.create-pyimage.json', JSON.stringify({ ...manifest, version: '99.0.0' }));
    const before = snapshot(dir);
    await expect(update(dir)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('99.0.0, newer than this one') });
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('update: interactive answers', () => {
  it('asks the questions again with the stored answers as defaults; --set ones are not asked', async () => {
    const dir = await generate({ memory: '1g', port: 9000, worker: 'python -m app.worker' });
    const asked = new Map<string, unknown>();
    const r = await update(dir, {
      set: ['cpus=2'],
      dryRun: true,
      prompt: async (spec, defaultValue) => {
        asked.set(spec.key, defaultValue);
        return spec.key === 'postgres' ? true : defaultValue;
      },
    });
    expect(asked.get('memory')).toBe('1g');
    expect(asked.get('port')).toBe(9000);
    expect(asked.get('worker')).toBe('python -m app.worker');
    expect(asked.get('name')).toBe('demo');
    expect(asked.has('cpus')).toBe(false);
    expect(asked.get('postgresVersion')).toBe(17);
    expect(r.answers).toMatchObject({ postgres: true, memory: '1g', port: 9000, cpus: '2', worker: 'python -m app.worker' });
  });
});

describe('update: projects without pristine copies', () => {
  it('merges two ways: what only one side has is kept, a value both hold differently conflicts', async () => {
    const dir = await generate();
    rmSync(join(dir, '.create-pyimage'), { recursive: true });
    mkdirSync(join(dir, '.create-pyimage'));
    userEdits(dir);
    const r = await update(dir, { set: ['postgres=true'] });
    expect(r.exitCode).toBe(1);
    expect(outcomes(r.files)).toMatchObject({ '.env.example': 'merged', Dockerfile: 'merged', 'scripts/backup-db.sh': 'added' });
    expect(read(dir, '.env.example')).toContain('POSTGRES_IMAGE=postgres:17-bookworm');
    expect(read(dir, 'Dockerfile')).toContain('--no-install-recommends curl');
    // Without a base, 1g (yours) against 512m (ours) cannot be decided: markers, the rest merged;
    // likewise a line the two versions word differently (up.sh's usage text).
    expect(r.conflicts.map((c) => c.path)).toEqual(expect.arrayContaining(['docker-compose.yml', 'scripts/up.sh']));
    expect(read(dir, 'docker-compose.yml')).toContain('<<<<<<< yours\n          memory: 1g\n');
    expect(read(dir, 'docker-compose.yml')).toContain('redis:');
    expect(existsSync(join(dir, '.create-pyimage/pristine/docker-compose.yml'))).toBe(true);
  });
});

describe('update: .env.example merges by key', () => {
  it('MY_SETTING=42 added by the user, then --set postgres=true: exit 0, both present', async () => {
    const dir = await generate();
    writeFileSync(join(dir, '.env.example'), `${read(dir, '.env.example')}MY_SETTING=42\n`);
    writeFileSync(join(dir, '.gitignore'), `${read(dir, '.gitignore')}*.log\n`);
    const r = await update(dir, { set: ['postgres=true'] });
    expect(r.exitCode).toBe(0);
    expect(r.conflicts).toEqual([]);
    expect(outcomes(r.files)).toMatchObject({ '.env.example': 'merged' });
    const env = read(dir, '.env.example');
    expect(env).toContain('MY_SETTING=42\n');
    expect(env).toContain('POSTGRES_IMAGE=postgres:17-bookworm');
    expect(env).not.toContain('<<<<<<<');
    expect(read(dir, '.gitignore')).toContain('*.log');
  });
});
