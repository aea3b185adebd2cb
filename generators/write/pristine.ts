/**
 * Pristine copies: exactly what was generated, kept under .create-pyimage/pristine/ so that
 * `create-pyimage update` can tell the user's edits from ours and merge three ways.
 */
import type { FileToWrite } from './tree.js';

export const PRISTINE_DIR = '.create-pyimage/pristine';

export function pristinePath(path: string): string {
  return `${PRISTINE_DIR}/${path}`;
}

/**
 * The pristine copy of every file we render, .gitignore's lines included (so a line the user
 * deleted stays deleted), but not our bookkeeping.
 */
export function pristineFiles(files: FileToWrite[]): FileToWrite[] {
  return files
    .filter((f) => f.strategy !== 'owned')
    .map((f) => ({ path: pristinePath(f.path), content: f.content, mode: 0o644, strategy: 'owned' as const }));
}
