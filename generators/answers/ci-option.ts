/**
 * The `--ci` row of the option table (schema.ts lists it with the others): which pipeline to write.
 * Kept in its own file with the rest of the CI feature; the table is still the one place it is described.
 */
import { AnswerError } from './errors.js';
import type { Answers } from './types.js';
import type { OptionSpec } from './option-spec.js';

const CHOICES = [
  { value: 'github', name: 'GitHub Actions: .github/workflows/container.yml + .github/dependabot.yml', hint: '' },
  { value: 'gitlab', name: 'GitLab CI: .gitlab-ci.yml + renovate.json', hint: '' },
  { value: 'none', name: 'None', hint: '' },
];

export const CI_OPTION: OptionSpec = {
  key: 'ci',
  flag: 'ci',
  kind: 'choice',
  question: 'Write a CI pipeline (audit, smoke test, SBOM, build, publish on tags)?',
  hint: 'github, gitlab or none: the pipeline runs the same smoke test, audit and SBOM as here, and publishes on version tags',
  defaultText: 'github when .github/ or a GitHub remote is found, else none',
  choices: CHOICES,
  fallback: (_a, detected) => detected.ci ?? 'none',
  parse: (raw) => {
    const text = typeof raw === 'string' ? raw.trim().toLowerCase() : raw === false || raw === null ? 'none' : String(raw);
    const found = CHOICES.find((c) => c.value === text);
    if (!found) throw new AnswerError('ci', `${JSON.stringify(raw)} is not allowed; choose one of: github, gitlab, none`);
    return found.value as Answers['ci'];
  },
};
