/** Our own output must pass our own audit: every answer combination the generator can produce. */
import { describe, expect, it } from 'vitest';
import { auditFiles } from '../../generators/audit/index.js';
import { renderProject } from '../../generators/render/index.js';
import { allAnswerCombinations } from '../../generators/render/matrix.js';

const combinations = allAnswerCombinations();

function label(a: (typeof combinations)[number]): string {
  return [a.framework, a.deps, a.postgres ? `postgres${a.postgresVersion}/${a.migrations}` : 'no-db', a.worker ? 'worker' : 'no-worker', `gpu=${a.gpu}`, `py${a.pythonVersion}`].join(' ');
}

describe('auditFiles(renderProject(answers)) over the full answer matrix', () => {
  it('covers the matrix (a few hundred combinations)', () => {
    expect(combinations.length).toBeGreaterThan(100);
  });

  describe.each(['auto', 'off'] as const)('shellcheck: %s', (shellcheck) => {
    it.each(combinations.map((a) => [label(a), a] as const))('%s has zero findings', async (_name, answers) => {
      // Each case is synchronous: yield to the event loop so the worker answers vitest's RPC (its
      // 60 s timeout fired once the Kubernetes manifests made the 570 cases of a block outlast it).
      await new Promise((resolve) => setImmediate(resolve));
      const files = renderProject(answers);
      const report = auditFiles(files, { shellcheck });
      // The audit must actually have read the stack, or "zero findings" proves nothing.
      const kinds = new Set(report.files.map((f) => f.kind));
      expect([...kinds].sort()).toEqual(['compose', 'dockerfile', 'dockerignore', 'env', 'kubernetes', 'script', 'stack']);
      expect(report.files.some((f) => f.path === 'docker-compose.gpu.yml')).toBe(answers.gpu !== 'none');
      expect(report.findings.map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`)).toEqual([]);
    });
  });
});

describe('auditGenerated (the generator\'s self-check)', () => {
  it('is ok for a rendered stack and skips pristine copies under .create-pyimage/', async () => {
    const { auditGenerated } = await import('../../generators/audit/generated.js');
    const files = renderProject(combinations[0]!);
    const pristine = files.map((f) => ({ ...f, path: `.create-pyimage/pristine/${f.path}`, content: f.path === 'Dockerfile' ? 'FROM python\n' : f.content }));
    const result = auditGenerated([...files, ...pristine], { shellcheck: 'off' });
    expect(result.report.files.every((f) => !f.path.startsWith('.create-pyimage/'))).toBe(true);
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/^audit: 0 findings in \d+ files, grade A/);
  });

  it('is not ok, with the report in the message, when the output has a problem', async () => {
    const { auditGenerated } = await import('../../generators/audit/generated.js');
    // The runtime stage's USER (the dev stage before it has its own).
    const rootRuntime = (text: string) => text.replace(/(AS runtime\n[\s\S]*?)^USER .*$/m, '$1USER root');
    const files = renderProject(combinations[0]!).map((f) => (f.path === 'Dockerfile' ? { ...f, content: rootRuntime(f.content) } : f));
    const result = auditGenerated(files, { shellcheck: 'off' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/DF-06/);
  });
});
