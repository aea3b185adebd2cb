/**
 * Where an app writes at run time, in container paths, from what the scanner found: Flask's instance
 * folder (where it lives depends on how the project is installed), sqlite files and upload folders.
 * Paths that cannot be placed are returned as notes for the user instead of guesses.
 */
import { posix } from 'node:path';
import type { ScanResult } from './scan/index.js';
import type { Answers } from './types.js';

const APP = '/app';
const VENV = '/opt/venv';

export interface StateFinding {
  dirs: string[];
  notes: string[];
}

export interface InstallFacts {
  deps: Answers['deps'] | undefined;
  /** "src" when the code lives under src/ and is not installed by pip (PYTHONPATH), else ''. */
  pythonPath: string;
  /** The project uses Flask-SQLAlchemy 3, which puts relative sqlite files in the instance folder. */
  flaskSqlalchemy: boolean;
}

/**
 * Flask's instance folder for an app made in `module` (file: its path in the project). An installed
 * package (pip/uv install the project; its code is under src/ so /app does not shadow it) keeps it in
 * <venv>/var/<import name>-instance; code imported from the working tree keeps it beside its top package.
 */
export function flaskInstancePath(module: string, file: string, install: InstallFacts): string {
  const inSrc = file.startsWith('src/');
  const installed = install.deps !== 'requirements' && install.deps !== undefined && inSrc;
  if (installed) return `${VENV}/var/${module}-instance`;
  const base = inSrc && install.pythonPath === 'src' ? `${APP}/src` : APP;
  return `${base}/instance`;
}

function underApp(path: string): string {
  return posix.normalize(posix.join(APP, path));
}

export function detectStateDirs(scan: ScanResult, install: InstallFacts): StateFinding {
  const dirs = new Set<string>();
  const notes: string[] = [];
  const instance = scan.flaskApps[0] ? flaskInstancePath(scan.flaskApps[0].module, scan.flaskApps[0].file, install) : undefined;
  const useInstance = (why: string) => {
    if (!instance) return false;
    if (!dirs.has(instance)) notes.push(`${why}: Flask's instance folder ${instance} is a volume`);
    dirs.add(instance);
    return true;
  };
  const app = scan.flaskApps.find((f) => f.usesInstance);
  if (app) useInstance(`the app uses its instance folder (${app.file}:${app.line})`);

  const place = (what: string, base: string, path: string, where: string, isFile: boolean): void => {
    const target = isFile ? posix.dirname(path) : path;
    if (base === 'instance') {
      if (!useInstance(`${what} in the instance folder (${where})`)) notes.push(`${what} is relative to Flask's instance folder (${where}), but no Flask app was found: pass --state-dir`);
      return;
    }
    let dir: string | undefined;
    if (base === 'absolute') dir = posix.normalize(target);
    else if (base === 'project' || base === 'cwd') dir = underApp(target);
    if (!dir || dir === APP || dir === '/') {
      notes.push(`${what} (${where}) is ${dir === APP ? 'directly in /app, beside the code' : 'at a place not known before run time'}: ` +
        'give it a directory of its own and pass --state-dir for it (with --env to point the app there)');
      return;
    }
    if (!dirs.has(dir)) notes.push(`${what} (${where}): ${dir} is a volume`);
    dirs.add(dir);
  };

  for (const db of scan.sqliteUrls) {
    // Flask-SQLAlchemy 3 resolves relative sqlite paths against the instance folder; plain SQLAlchemy against the cwd.
    const base = db.base === 'cwd' && install.flaskSqlalchemy && instance ? 'instance' : db.base;
    place(`the sqlite database ${db.url}`, base, db.path, `${db.file}:${db.line}`, true);
  }
  for (const w of scan.writablePaths) {
    if (/^STATIC_ROOT$/i.test(w.setting)) continue; // collected at build time, read-only at run time
    place(`${w.setting}`, w.base, w.path, `${w.file}:${w.line}`, false);
  }
  return { dirs: [...dirs], notes };
}
