/** `update` treats the CI files like the others: a user's edit survives a re-render that changes them. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import { renderProject } from '../../generators/render/index.js';
import { runUpdate } from '../../generators/update/run.js';
import { pristineFiles } from '../../generators/write/pristine.js';
import { commitPlan, planWrite } from '../../generators/write/tree.js';
import { tempDir } from '../helpers.js';

const WORKFLOW = '.github/workflows/container.yml';
let cleanup = () => {};
afterEach(() => cleanup());

async function generate(ci: string): Promise<string> {
  const t = tempDir('pyimage-ci-update-');
  cleanup = t.cleanup;
  const answers = await resolveAnswers({ flags: { name: 'demo', framework: 'flask', ci }, detected: {} });
  const rendered = renderProject(answers);
  commitPlan(t.dir, planWrite(t.dir, [...rendered, ...pristineFiles(rendered)], { overwrite: true }));
  return t.dir;
}

async function update(dir: string, set: string[]) {
  return runUpdate(dir, { out: () => {}, note: () => {}, set });
}

describe('update and the CI files', () => {
  it('merges the workflow: a job the user added stays, the new POSTGRES_IMAGE variable arrives', async () => {
    const dir = await generate('github');
    const file = join(dir, WORKFLOW);
    const mine = readFileSync(file, 'utf8').replace('\njobs:\n', '\njobs:\n  lint:\n    runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n    steps:\n      - run: echo mine\n');
    writeFileSync(file, mine);
    const r = await update(dir, ['postgres=true']);
    expect(r.exitCode).toBe(0);
    expect(r.files.find((f) => f.path === WORKFLOW)?.outcome).toBe('merged');
    const merged = parseYaml(readFileSync(file, 'utf8')) as { env: Record<string, string>; jobs: Record<string, unknown> };
    expect(Object.keys(merged.jobs)).toContain('lint');
    expect(merged.env.POSTGRES_IMAGE).toBe("${{ vars.POSTGRES_IMAGE || 'postgres:17-bookworm' }}");
  });

  it('--set ci=gitlab adds .gitlab-ci.yml and renovate.json and removes the untouched GitHub files', async () => {
    const dir = await generate('github');
    const r = await update(dir, ['ci=gitlab']);
    expect(r.exitCode).toBe(0);
    const outcome = Object.fromEntries(r.files.map((f) => [f.path, f.outcome]));
    expect(outcome).toMatchObject({ '.gitlab-ci.yml': 'added', 'renovate.json': 'added', [WORKFLOW]: 'removed-by-generator', '.github/dependabot.yml': 'removed-by-generator' });
  });
});
