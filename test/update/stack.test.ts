/** update and the Swarm stack file: merged by YAML structure like docker-compose.yml, added to older projects. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import type { Answers } from '../../generators/answers/types.js';
import { renderProject } from '../../generators/render/index.js';
import { STACK_FILE } from '../../generators/render/stack.js';
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
  const t = tempDir('pyimage-stack-update-');
  cleanups.push(t.cleanup);
  const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask', ...flags }, detected: {} });
  const rendered = renderProject(answers);
  commitPlan(t.dir, planWrite(t.dir, [...rendered, ...pristineFiles(rendered)], { overwrite: true }));
  return t.dir;
}

async function update(dir: string, set: string[]) {
  return runUpdate(dir, { set, out: () => {}, note: () => {} });
}

const stackOf = (dir: string) => parseYaml(readFileSync(join(dir, STACK_FILE), 'utf8')) as Record<string, any>;

describe('update regenerates deploy/swarm/stack.yml', () => {
  it('merges the user\'s edits by structure with what the new answers add (--set postgres=true)', async () => {
    const dir = await generate();
    const path = join(dir, STACK_FILE);
    const edited = readFileSync(path, 'utf8')
      .replace('      replicas: 2\n', '      replicas: 4\n')
      .replace(/\nnetworks:\n/, '\n  # my edge proxy\n  proxy:\n    image: proxy:1.2\n    networks:\n      - frontend\nnetworks:\n');
    writeFileSync(path, edited);
    const r = await update(dir, ['postgres=true', 'migrations=alembic']);
    expect(r.exitCode).toBe(0);
    expect(r.files.find((f) => f.path === STACK_FILE)).toMatchObject({ outcome: 'merged', details: ['merged by YAML structure'] });
    const stack = stackOf(dir);
    expect(stack.services.app.deploy.replicas).toBe(4);
    expect(stack.services.proxy.image).toBe('proxy:1.2');
    expect(stack.services.db.deploy.placement.constraints).toEqual(['node.labels.demo.db == true']);
    expect(stack.services.migrate.deploy.mode).toBe('replicated-job');
    expect(stack.secrets.db_password.file).toBe('../../secrets/db_password');
    expect(readFileSync(path, 'utf8')).toContain('# my edge proxy');
  });

  it('adds the stack file and the swarm scripts to a project generated before they existed', async () => {
    const dir = await generate();
    for (const p of [STACK_FILE, pristinePath(STACK_FILE), 'scripts/deploy-swarm.sh', pristinePath('scripts/deploy-swarm.sh')]) rmSync(join(dir, p));
    const r = await update(dir, ['registry=registry.example.com/team']);
    expect(r.exitCode).toBe(0);
    const outcomes = Object.fromEntries(r.files.map((f) => [f.path, f.outcome]));
    expect(outcomes).toMatchObject({ [STACK_FILE]: 'added', 'scripts/deploy-swarm.sh': 'added', 'scripts/push.sh': 'added' });
    expect(stackOf(dir).services.app.image).toBe('registry.example.com/team/demo:${APP_VERSION:-0.1.0}');
  });
});
