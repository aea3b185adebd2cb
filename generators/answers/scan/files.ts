/** Which Python files of a project are the application's own, and their import names. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { walkTree } from '../../base/walk.js';

/** Tool, cache and virtualenv folders; any folder with a pyvenv.cfg is a virtualenv too. */
export const SKIP_DIRS = new Set(['.git', '.venv', 'venv', 'env', 'node_modules', '__pycache__', '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'build', 'dist', 'site-packages', 'secrets', 'backups', 'htmlcov']);
const TEST_DIRS = new Set(['tests', 'test', 'testing']);
const MAX_DEPTH = 4;
const MAX_BYTES = 512 * 1024;
const MAX_FILES = 5000;

function isTestFile(name: string): boolean {
  return name === 'conftest.py' || name.startsWith('test_') || name.endsWith('_test.py');
}

/**
 * The project's Python files, sorted, as paths relative to `projectDir` with `/` separators:
 * at most MAX_DEPTH folders deep, no tests, no virtualenvs, nothing over 512 KiB.
 */
export function projectPythonFiles(projectDir: string): string[] {
  const out: string[] = [];
  const skipped = (name: string) => name.startsWith('.') || SKIP_DIRS.has(name);
  walkTree(projectDir, {
    maxDepth: MAX_DEPTH,
    enter: ({ name, path }) => !skipped(name) && !TEST_DIRS.has(name) && !existsSync(join(path, 'pyvenv.cfg')),
    file: ({ name, rel, stats }) => {
      if (out.length >= MAX_FILES) return 'stop';
      if (!skipped(name) && name.endsWith('.py') && !isTestFile(name) && stats.size < MAX_BYTES) out.push(rel);
    },
  });
  return out;
}

/** `src/pkg/web.py` -> `pkg.web`; `pkg/__init__.py` -> `pkg`; `app.py` -> `app`. */
export function moduleName(relPath: string): string {
  let parts = relPath.split('/');
  if (parts[0] === 'src' && parts.length > 1) parts = parts.slice(1);
  const last = parts[parts.length - 1]!.replace(/\.py$/, '');
  if (last === '__init__') parts.pop();
  else parts[parts.length - 1] = last;
  return parts.join('.');
}

/** True for a name Python can import (`pkg.web`), false for `my-scripts.run`. */
export function importable(module: string): boolean {
  return module !== '' && module.split('.').every((part) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(part));
}
