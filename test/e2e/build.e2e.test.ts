/**
 * `create-pyimage build` on the real engine, through the compiled CLI as a script would call it:
 * JSON on stdin, one JSON object on stdout, the exit code. The Dockerfile has the dependency
 * pattern of a generated one (requirements bind-mounted, then the code copied) on the offline
 * stand-in base image.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers.js';
import { ensureEngine, removeImage, type E2EEnv } from './engine.js';

const MINUTE = 60_000;
let e2e: E2EEnv;
const work = mkdtempSync(join(tmpdir(), 'pyimage-build-'));
const tag = `create-pyimage-build-e2e-${process.pid}:test`;

beforeAll(async () => {
  e2e = await ensureEngine();
}, 30 * MINUTE);

afterAll(async () => {
  await removeImage(tag);
  rmSync(work, { recursive: true, force: true });
});

function project(name: string, dockerfile: string, files: Record<string, string> = {}): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries({ Dockerfile: dockerfile, ...files })) writeFileSync(join(dir, path), content);
  return dir;
}

async function build(input: unknown) {
  const r = await execa('node', [cliPath, 'build'], {
    cwd: repoRoot,
    input: typeof input === 'string' ? input : JSON.stringify(input),
    reject: false,
    timeout: 10 * MINUTE,
  });
  return { ...r, json: JSON.parse(r.stdout) as { imageId: string | null; tag: string | null; size: number | null; success: boolean; message: string } };
}

const dockerfile = (base: string) =>
  [
    'ARG PYTHON_IMAGE=python:3.12-slim-bookworm',
    'FROM ${PYTHON_IMAGE}',
    'WORKDIR /app',
    '# Dependencies first, from the requirements file alone.',
    'RUN --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \\',
    '    grep -c . /tmp/requirements.txt > /app/dependency-count',
    'COPY app.py /app/app.py',
    `LABEL built-from="${base}"`,
    '',
  ].join('\n');

describe('create-pyimage build (real engine)', () => {
  it('builds from JSON on stdin: exit 0, {imageId, tag, size, success, message}', async () => {
    const dir = project('ok', dockerfile('ok'), { 'requirements.txt': 'flask\n', 'app.py': 'print("hi")\n' });
    const r = await build({ dockerfilePath: join(dir, 'Dockerfile'), buildArgs: { PYTHON_IMAGE: e2e.pythonImage }, tag });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ tag, success: true });
    expect(r.json.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.json.size).toBeGreaterThan(1_000_000);
    const inspect = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]);
    expect(inspect.stdout.trim()).toBe(r.json.imageId);
  }, 10 * MINUTE);

  it('a missing requirements file fails at once (exit 1), naming the file and the line', async () => {
    const dir = project('no-req', dockerfile('no-req'), { 'app.py': 'print("hi")\n' });
    const r = await build({ dockerfilePath: join(dir, 'Dockerfile'), buildArgs: { PYTHON_IMAGE: e2e.pythonImage }, tag: 'create-pyimage-build-e2e-never:test' });
    expect(r.exitCode).toBe(1);
    expect(r.json).toMatchObject({ success: false, imageId: null, size: null });
    expect(r.json.message).toContain(`line 5: RUN --mount=type=bind,source=requirements.txt needs ${join(dir, 'requirements.txt')}, which does not exist`);
    expect(r.json.message).toContain('Nothing was built');
    const inspect = await execa('docker', ['image', 'inspect', 'create-pyimage-build-e2e-never:test'], { reject: false });
    expect(inspect.exitCode).not.toBe(0);
  });

  it('a bad Dockerfile: exit 1 with BuildKit\'s verdict in the message', async () => {
    const dir = project('bad', `FROM ${e2e.pythonImage}\nRUN exit 3\n`);
    const r = await build({ dockerfilePath: join(dir, 'Dockerfile'), tag: 'create-pyimage-build-e2e-bad:test' });
    expect(r.exitCode).toBe(1);
    expect(r.json.success).toBe(false);
    expect(r.json.message).toMatch(/docker build failed \(exit 1\)/);
    expect(r.json.message).toMatch(/exit code: 3/);
    const unknown = project('unknown', `FROM ${e2e.pythonImage}\nFORM nothing\n`);
    const u = await build({ dockerfilePath: join(unknown, 'Dockerfile'), tag: 'create-pyimage-build-e2e-bad:test' });
    expect(u.exitCode).toBe(1);
    expect(u.json.message).toMatch(/unknown instruction: FORM/i);
  }, 5 * MINUTE);

  it('bad input exits 2 and names the field: bad JSON, an unknown key, a missing Dockerfile', async () => {
    const bad = await build('{"dockerfilePath": ');
    expect(bad.exitCode).toBe(2);
    expect(bad.json.message).toMatch(/^input: stdin is not valid JSON/);
    const unknown = await build({ dockerfilePath: 'Dockerfile', dockerfile: 'x' });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.json.message).toMatch(/^dockerfile: unknown key; allowed: dockerfilePath, buildContext, buildArgs, tag, network/);
    const missing = await build({ dockerfilePath: join(work, 'nowhere', 'Dockerfile') });
    expect(missing.exitCode).toBe(2);
    expect(missing.json.message).toMatch(/^dockerfilePath: .*nowhere\/Dockerfile does not exist/);
    const badArg = await build({ dockerfilePath: join(work, 'ok', 'Dockerfile'), buildArgs: { PYTHON_IMAGE: 3 } });
    expect(badArg.exitCode).toBe(2);
    expect(badArg.json.message).toBe('buildArgs.PYTHON_IMAGE: must be a string');
  });
});
