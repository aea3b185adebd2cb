/**
 * The development loop's rows of the option table (schema.ts lists them with the others) and their
 * detection: which development dependencies the Dockerfile's `dev` stage installs, and whether the
 * dev stack starts the app under debugpy. Both only change the dev stage and compose.dev.yml:
 * the runtime image is the same whatever they say.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { AnswerError } from './errors.js';
import type { OptionSpec } from './option-spec.js';
import { parseBoolean } from './parse.js';
import type { Answers, DependencySource } from './types.js';

/** Development requirements files, in the order they are looked for. */
export const DEV_REQUIREMENTS_FILES = ['requirements-dev.txt', 'requirements/dev.txt', 'dev-requirements.txt', 'requirements_dev.txt'];

/** A relative file path or an extra/group name: what reaches the Dockerfile, so a closed set of characters. */
const DEV_DEPS_RE = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

function readPyproject(projectDir: string): Record<string, unknown> | undefined {
  const file = join(projectDir, 'pyproject.toml');
  if (!existsSync(file)) return undefined;
  try {
    return parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined; // detect.ts already warns about an unreadable pyproject.toml
  }
}

function hasKey(table: unknown, key: string): boolean {
  return typeof table === 'object' && table !== null && key in table;
}

/**
 * The development dependencies of a project for its dependency source: a requirements file, the
 * `dev` extra of [project.optional-dependencies], or uv's `dev` group (PEP 735 [dependency-groups]
 * or [tool.uv] dev-dependencies). '' when there are none.
 */
export function detectDevDeps(projectDir: string, deps: DependencySource | undefined): { devDeps: string; note?: string } {
  if (deps === 'requirements' || deps === undefined) {
    const file = DEV_REQUIREMENTS_FILES.find((f) => existsSync(join(projectDir, f)));
    return file ? { devDeps: file, note: `found ${file}: the dev stage of the Dockerfile installs it (never the runtime image)` } : { devDeps: '' };
  }
  const pyproject = readPyproject(projectDir);
  const project = pyproject?.project as Record<string, unknown> | undefined;
  if (deps === 'pip-pyproject' && hasKey(project?.['optional-dependencies'], 'dev')) {
    return { devDeps: 'dev', note: 'found [project.optional-dependencies] dev: the dev stage of the Dockerfile installs it (never the runtime image)' };
  }
  const tool = pyproject?.tool as Record<string, unknown> | undefined;
  if (deps === 'uv' && (hasKey(pyproject?.['dependency-groups'], 'dev') || hasKey(tool?.uv, 'dev-dependencies'))) {
    return { devDeps: 'dev', note: 'found uv\'s dev group: the dev stage of the Dockerfile installs it (never the runtime image)' };
  }
  return { devDeps: '' };
}

export const DEV_OPTIONS: OptionSpec[] = [
  {
    key: 'devDeps',
    flag: 'dev-deps',
    kind: 'string',
    question: 'Development dependencies for the dev stage',
    hint: 'a requirements file (requirements-dev.txt), the pyproject extra or the uv group (dev) that scripts/dev.sh installs; never in the runtime image',
    defaultText: 'detected (requirements-dev.txt, [project.optional-dependencies] dev, uv\'s dev group), else none',
    flagOnly: true,
    // What was found belongs to the dependency source it was found for.
    fallback: (a, d) => (d.deps === undefined || a.deps === undefined || a.deps === d.deps ? (d.devDeps ?? '') : ''),
    parse: (raw) => {
      if (raw === false || raw === null || raw === undefined) return '';
      const text = String(raw).trim();
      if (text === '' || text === 'none') return '';
      if (!DEV_DEPS_RE.test(text)) {
        throw new AnswerError('dev-deps', `${JSON.stringify(raw)} is not a relative file path or an extra/group name; use letters, digits, ".", "_", "-" and "/" (e.g. requirements-dev.txt or dev)`);
      }
      return text;
    },
  },
  {
    key: 'debugger',
    flag: 'debugger',
    kind: 'boolean',
    question: 'Start the dev server under debugpy (scripts/dev.sh)?',
    hint: 'debugpy in the dev stage, listening on 127.0.0.1:5678 of this machine only; README.Docker.md has the VS Code launch.json',
    defaultText: 'no',
    flagOnly: true,
    fallback: () => false,
    parse: (raw) => parseBoolean('debugger', raw),
  },
];

/** Whether the answers install development dependencies in the dev stage. */
export function hasDevDeps(a: Pick<Answers, 'devDeps'>): boolean {
  return a.devDeps !== '';
}
