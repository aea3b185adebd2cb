/**
 * Pristine copies: exactly what was generated, kept under .create-pyimage/pristine/ so that
 * `create-pyimage update` can tell the user's edits from ours and merge three ways.
 */
import type { FileToWrite } from './tree.js';

export const PRISTINE_DIR = '.create-pyimage/pristine';

export function pristinePath(path: string): string {
  return `${PRISTINE_DIR}/${path}`;
}

/** The pristine copy of every whole file we render (not .gitignore lines, not our bookkeeping). */
export function pristineFiles(files: FileToWrite[]): FileToWrite[] {
  return files
    .filter((f) => f.strategy === 'replace')
    .map((f) => ({ path: pristinePath(f.path), content: f.content, mode: 0o644, strategy: 'owned' as const }));
}
