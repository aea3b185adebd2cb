/** `create-pyimage update` through the compiled CLI, as a user runs it (no terminal: no prompts). */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli, tempDir, validateCompose } from '../helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child);
      else out.set(child, `${(statSync(join(dir, child)).mode & 0o777).toString(8)} ${readFileSync(join(dir, child), 'utf8')}`);
    }
  };
  walk('');
  return out;
}

async function generated(): Promise<string> {
  const t = tempDir('pyimage-update-cli-');
  cleanups.push(t.cleanup);
  writeFileSync(join(t.dir, 'requirements.txt'), 'flask==2.2.2\ngunicorn==20.1.0\n');
  writeFileSync(join(t.dir, 'app.py'), 'from flask import Flask\napp = Flask(__name__)\n');
  const r = await runCli([t.dir, '--yes', '--name', 'demo', '--framework', 'flask']);
  expect(r.exitCode, r.stderr).toBe(0);
  return t.dir;
}

function edit(dir: string, path: string, change: (text: string) => string): void {
  writeFileSync(join(dir, path), change(readFileSync(join(dir, path), 'utf8')));
}

function userEdits(dir: string): void {
  edit(dir, 'docker-compose.yml', (t) =>
    t
      .replace('          memory: 512m', '          memory: 1g')
      .replace(/\nnetworks:\n/, '\n  # Session cache (mine)\n  redis:\n    image: redis:7-alpine\n    networks:\n      - frontend\nnetworks:\n'),
  );
  edit(dir, 'Dockerfile', (t) => t.replace(/^USER /m, 'RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nUSER '));
}

describe('create-pyimage update (compiled CLI)', () => {
  it('the issue scenario: --set postgres=true adds db, secrets and scripts, keeps redis, 1g and curl', async () => {
    const dir = await generated();
    userEdits(dir);
    const r = await runCli(['update', dir, '--set', 'postgres=true']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/merged +docker-compose\.yml/);
    expect(r.stdout).toMatch(/added +scripts\/backup-db\.sh/);
    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'));
    expect(validateCompose(compose).valid).toBe(true);
    expect(Object.keys(compose.services)).toEqual(['app', 'redis', 'db']);
    expect(compose.services.app.deploy.resources.limits.memory).toBe('1g');
    expect(compose.secrets.db_password).toBeDefined();
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toContain('--no-install-recommends curl');
    expect(existsSync(join(dir, 'scripts/restore-db.sh'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, '.create-pyimage.json'), 'utf8')).answers.postgres).toBe(true);
  });

  it('answer flags work after `update` too, and --dry-run writes nothing', async () => {
    const dir = await generated();
    const before = snapshot(dir);
    const r = await runCli(['update', dir, '--postgres', '--set', 'worker=python -m app.worker', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('postgres: false -> true');
    expect(r.stdout).toContain('worker: "" -> "python -m app.worker"');
    expect(r.stdout).toContain('+  worker:');
    expect(r.stdout).toContain('Dry run: nothing was written.');
    expect(snapshot(dir)).toEqual(before);
  });

  it('a conflicting edit: markers, a clear list at the end, exit 1', async () => {
    const dir = await generated();
    userEdits(dir);
    edit(dir, 'Dockerfile', (t) => t.replace('EXPOSE 8000', 'EXPOSE 9000'));
    const r = await runCli(['update', dir, '--set', 'port=8080', '--set', 'memory=2g']);
    expect(r.exitCode).toBe(1);
    const tail = r.stdout.slice(r.stdout.indexOf('Conflicts written into'));
    expect(tail).toMatch(/^Conflicts written into 2 files:\n  Dockerfile: conflict markers at line \d+\n  docker-compose\.yml: both sides changed services\.app\.deploy\.resources\.limits\.memory/);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toContain('<<<<<<< yours\nEXPOSE 9000\n||||||| generated (previous)\nEXPOSE 8000\n=======\nEXPOSE 8080\n>>>>>>> generated (new)\n');
    expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).toContain('redis:');
  });

  it('exit 2, nothing written: unknown --set key, bad value, no manifest', async () => {
    const dir = await generated();
    const before = snapshot(dir);
    const bad = await runCli(['update', dir, '--set', 'colour=blue']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('colour: unknown answer in --set');
    const value = await runCli(['update', dir, '--set', 'port=80']);
    expect(value.exitCode).toBe(2);
    expect(value.stderr).toContain('port: "80" is not allowed');
    expect(snapshot(dir)).toEqual(before);
    const empty = tempDir('pyimage-update-cli-');
    cleanups.push(empty.cleanup);
    const none = await runCli(['update', empty.dir]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('not generated by create-pyimage: run `create-pyimage` first');
  });
});
