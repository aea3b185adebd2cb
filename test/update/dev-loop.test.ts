/** update keeps the development loop's files in step (issue 23): merged by structure, added to older projects. */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import type { Answers } from '../../generators/answers/types.js';
import { renderProject } from '../../generators/render/index.js';
import { runUpdate } from '../../generators/update/run.js';
import { pristineFiles, pristinePath } from '../../generators/write/pristine.js';
import { commitPlan, planWrite } from '../../generators/write/tree.js';
import { tempDir } from '../helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

async function generate(flags: Partial<Record<keyof Answers, unknown>> = {}): Promise<string> {
  const t = tempDir('pyimage-dev-update-');
  cleanups.push(t.cleanup);
  const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask', appModule: 'app:app', ...flags }, detected: {} });
  const rendered = renderProject(answers);
  commitPlan(t.dir, planWrite(t.dir, [...rendered, ...pristineFiles(rendered)], { overwrite: true }));
  return t.dir;
}

const devOf = (dir: string) => parseYaml(readFileSync(join(dir, 'compose.dev.yml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('update and compose.dev.yml', () => {
  it('adds the worker\'s sync+restart and keeps the user\'s own dev settings (--set worker=...)', async () => {
    const dir = await generate();
    const path = join(dir, 'compose.dev.yml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('    read_only: false\n', '    read_only: false\n    environment:\n      LOG_LEVEL: DEBUG\n'));
    const r = await runUpdate(dir, { set: ['worker=python -m app.worker', 'debugger=true'], out: () => {}, note: () => {} });
    expect(r.exitCode).toBe(0);
    expect(r.files.find((f) => f.path === 'compose.dev.yml')).toMatchObject({ outcome: 'merged' });
    const dev = devOf(dir);
    expect(dev.services.app.environment.LOG_LEVEL).toBe('DEBUG');
    expect(dev.services.app.command.slice(0, 3)).toEqual(['python', '-m', 'debugpy']);
    expect(dev.services.worker.develop.watch.at(-1)).toEqual({ path: '.', action: 'sync+restart', target: '/app' });
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toContain('AS dev-tools');
  });

  it('adds the dev loop to a project generated before it existed', async () => {
    const dir = await generate();
    for (const p of ['compose.dev.yml', 'compose.dev-mount.yml', 'scripts/dev.sh']) {
      rmSync(join(dir, p));
      rmSync(join(dir, pristinePath(p)));
    }
    const r = await runUpdate(dir, { set: ['memory=1g'], out: () => {}, note: () => {} });
    expect(r.exitCode).toBe(0);
    for (const p of ['compose.dev.yml', 'compose.dev-mount.yml', 'scripts/dev.sh']) expect(existsSync(join(dir, p))).toBe(true);
    expect(devOf(dir).name).toBe('demo-dev');
  });
});
