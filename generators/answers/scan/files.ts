/** Which Python files of a project are the application's own, and their import names. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

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
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      if (out.length >= MAX_FILES) return;
      if (entry.startsWith('.') || SKIP_DIRS.has(entry)) continue;
      const path = join(dir, entry);
      let stats;
      try {
        stats = statSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) {
        if (depth < MAX_DEPTH && !TEST_DIRS.has(entry) && !existsSync(join(path, 'pyvenv.cfg'))) walk(path, depth + 1);
      } else if (entry.endsWith('.py') && !isTestFile(entry) && stats.size < MAX_BYTES) {
        out.push(relative(projectDir, path).split(sep).join('/'));
      }
    }
  };
  walk(projectDir, 0);
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
