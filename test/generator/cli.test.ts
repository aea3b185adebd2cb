/** The compiled CLI as a user runs it: help, version, bad input, dry runs, existing files, escaping. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { OPTIONS } from '../../generators/answers/schema.js';
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

describe('help and version', () => {
  it('--help lists every answer flag with its default, and the subcommand options', async () => {
    const r = await runCli(['--help']);
    expect(r.exitCode).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const spec of OPTIONS) {
      expect(help, spec.flag).toMatch(new RegExp(`--${spec.flag}\\b[\\s\\S]*?\\[default: ${spec.defaultText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]`));
    }
    for (const flag of ['--answers', '--yes', '--force', '--dry-run', '--version']) expect(help).toContain(flag);
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('bad input: exit 2, a message naming the field and the fix, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['a name with quotes', ['--name', 'my"app'], /name: .*lowercase letters/],
    ['a name with a newline', ['--name', 'my\napp'], /name: /],
    ['port 0', ['--port', '0'], /port: "0" is not allowed; use a whole number from 1024 to 65535/],
    ['port 70000', ['--port', '70000'], /port: "70000" is not allowed/],
    ['Python 2.7', ['--python', '2.7'], /python: "2\.7" is not supported; choose one of: 3\.10, 3\.11, 3\.12, 3\.13/],
    ['a worker command with a newline', ['--worker', 'python -m app.worker\nrm -rf /'], /worker: must be a single line/],
    ['an unknown framework', ['--framework', 'pyramid'], /framework: "pyramid" is not allowed; choose one of: fastapi, flask, asgi, wsgi, django/],
    ['a path outside the project', ['--requirements-file', '../../etc/requirements.txt'], /requirements-file: .*inside the project/],
    ['a missing required answer', ['--framework', 'wsgi'], /app: is required here.*pass --app/],
    ['a GPU for a service that does not exist', ['--gpu', 'render', '--gpu-services', 'app,db'], /gpu-services: "db" is not allowed; give app and\/or worker/],
    ['a GPU for a worker the stack does not have', ['--gpu', 'render', '--gpu-services', 'app,worker'], /gpu-services: names "worker" but this stack has no worker; add --worker/],
    ['an unknown option', ['--frobnicate'], /unknown option '--frobnicate'/],
    ['an unknown placeholder', ['--env', 'DATABASE_URL={db.uri}'], /env: DATABASE_URL: unknown placeholder \{db\.uri\}; use \{db\.host\}/],
    ['--env with a newline', ['--env', 'A=1\nB=2'], /env: .*one line without control characters/],
    ['--env without =', ['--env', 'DATABASE_URL'], /env: "DATABASE_URL" is not NAME=VALUE; write e\.g\. --env DATABASE_URL=\{db\.url\}/],
    ['a literal secret in --env', ['--env', 'SECRET_KEY=hunter2'], /env: SECRET_KEY holds a secret.*--env SECRET_KEY=\{secret\.secret_key\}/],
    ['{db.url} without a database', ['--env', 'DATABASE_URL={db.url}'], /env: \{db\.url\} needs the Postgres service; add --postgres/],
    ['{redis.url} without Redis', ['--env', 'BROKER={redis.url}'], /env: \{redis\.url\} needs the Redis service; add --redis/],
    ['--state-dir on /', ['--state-dir', '/'], /state-dir: "\/" is a whole system or code directory; give a directory under \/app/],
    ['--state-dir outside the container paths', ['--state-dir', '/etc/app'], /state-dir: "\/etc\/app" is outside the container's data paths/],
    ['--state-dir with ..', ['--state-dir', 'uploads/../../etc'], /state-dir: .*must not contain "\.\."/],
    ['uvicorn for a Flask app', ['--framework', 'flask', '--server', 'uvicorn'], /server: uvicorn serves ASGI apps; a Flask app runs on gunicorn/],
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

  it('an unknown key in the answers file, named with the file', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'answers.yml'), 'framework: flask\ncolour: blue\n');
    const r = await runCli([join(dir, 'svc'), '--answers', join(dir, 'answers.yml')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/colour: unknown answer in .*answers\.yml; known answers: name, python/);
    expect(existsSync(join(dir, 'svc'))).toBe(false);
  });
});

describe('generating', () => {
  it('writes the stack with flags, an answers file (YAML) and flags winning over it', async () => {
    const parent = workDir();
    writeFileSync(join(parent, 'answers.yml'), 'framework: flask\napp: "shop:create_app()"\npostgres: true\nport: 7000\n');
    const dir = join(parent, 'shop');
    const r = await runCli([dir, '--answers', join(parent, 'answers.yml'), '--port', '9000', '--worker', `python -m shop.worker --name "night shift" --tag 'it"s'`, '--libpq']);
    expect(r.exitCode, r.stderr).toBe(0);
    // The generated files passed create-pyimage's own audit before "Done".
    expect(r.stderr).toMatch(/audit: 0 findings in \d+ files, grade A[\s\S]*Done\./);
    const manifest = JSON.parse(readFileSync(join(dir, '.create-pyimage.json'), 'utf8'));
    expect(manifest.answers).toMatchObject({ name: 'shop', framework: 'flask', appModule: 'shop:create_app()', postgres: true, port: 9000 });
    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'));
    // User strings arrive as data: the worker argv is exactly what a shell would have split.
    expect(compose.services.worker.command).toEqual(['python', '-m', 'shop.worker', '--name', 'night shift', '--tag', 'it"s']);
    expect(compose.services.app.ports).toEqual(['${APP_BIND_IP:-127.0.0.1}:${APP_PORT:-9000}:9000']);
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (.*)$/m.exec(dockerfile)![1]!;
    expect(JSON.parse(cmd)).toEqual(['gunicorn', '--bind', '0.0.0.0:9000', '--worker-tmp-dir', '/dev/shm', '--graceful-timeout', '20', '--access-logfile', '-', 'shop:create_app()']);
    expect(statSync(join(dir, 'scripts', 'up.sh')).mode & 0o777).toBe(0o755);
    expect(existsSync(join(dir, '.create-pyimage', 'pristine', 'Dockerfile'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('.create-pyimage-staging') || f === '.create-pyimage-commit')).toEqual([]);
  });

  it('--dry-run prints the plan and a diff and writes nothing', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'Dockerfile'), 'FROM python:3.12\n');
    const before = readdirSync(dir);
    const r = await runCli([dir, '--yes', '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Dry run: nothing is written/);
    expect(r.stdout).toMatch(/EXISTS\s+\S*Dockerfile/);
    expect(r.stdout).toContain('-FROM python:3.12');
    expect(r.stdout).toContain('+FROM ${PYTHON_IMAGE} AS runtime');
    expect(readdirSync(dir)).toEqual(before);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe('FROM python:3.12\n');
  });

  it('an existing Dockerfile survives without --force, and nothing else is written', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'Dockerfile'), 'FROM python:3.12\n# mine\n');
    const r = await runCli([dir, '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/already exist[\s\S]*Dockerfile[\s\S]*--force/);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe('FROM python:3.12\n# mine\n');
    expect(readdirSync(dir)).toEqual(['Dockerfile']);

    const forced = await runCli([dir, '--yes', '--force']);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(/AS runtime/);
  });

  it('running again with the same answers changes nothing and needs no --force', async () => {
    const dir = workDir();
    expect((await runCli([dir, '--yes'])).exitCode).toBe(0);
    const again = await runCli([dir, '--yes']);
    expect(again.exitCode).toBe(0);
  });

  it('appends to an existing .gitignore without clobbering it', async () => {
    const dir = workDir();
    writeFileSync(join(dir, '.gitignore'), '*.log\n.env\n');
    expect((await runCli([dir, '--yes'])).exitCode).toBe(0);
    const gitignore = readFileSync(join(dir, '.gitignore'), 'utf8');
    expect(gitignore.startsWith('*.log\n.env\n')).toBe(true);
    expect(gitignore.match(/^\.env$/gm)).toHaveLength(1);
    expect(gitignore).toMatch(/^secrets\/$/m);
  });

  it('detects an existing project and says what it found', async () => {
    const dir = workDir();
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'requirements.txt'), 'flask==2.2.2\ngunicorn==20.1.0\npsycopg2==2.9.5\n');
    writeFileSync(join(dir, 'app', '__init__.py'), 'from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n');
    const r = await runCli([dir, '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/found: framework flask: the app is built with flask/);
    expect(r.stderr).toMatch(/found: factory app:create_app\(\) in app\/__init__\.py:3/);
    const manifest = JSON.parse(readFileSync(join(dir, '.create-pyimage.json'), 'utf8'));
    expect(manifest.answers).toMatchObject({ framework: 'flask', appModule: 'app:create_app()', postgres: true, libpq: true });
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(/libpq-dev/);
  });
});
