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
    it.each(combinations.map((a) => [label(a), a] as const))('%s has zero findings', (_name, answers) => {
      const files = renderProject(answers);
      const report = auditFiles(files, { shellcheck });
      // The audit must actually have read the stack, or "zero findings" proves nothing.
      const kinds = new Set(report.files.map((f) => f.kind));
      expect([...kinds].sort()).toEqual(['compose', 'dockerfile', 'dockerignore', 'env', 'script']);
      expect(report.files.some((f) => f.path === 'docker-compose.gpu.yml')).toBe(answers.gpu !== 'none');
      expect(report.findings.map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`)).toEqual([]);
    });
  });
});
