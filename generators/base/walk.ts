/**
 * The one directory walk: the scanner (answers/scan/files.ts) and the audit (audit/index.ts) both
 * walk a project with it, each with its own rules for what to enter and what to keep.
 */
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';

export interface WalkEntry {
  name: string;
  /** Absolute path, and the path relative to the root with `/` separators. */
  path: string;
  rel: string;
  stats: Stats;
}

export interface WalkRules {
  /** How many folders deep below the root the walk goes. */
  maxDepth: number;
  /** lstat (a symbolic link is neither a file nor a folder) instead of stat (links followed). */
  noFollow?: boolean;
  /** Whether to go into a folder. */
  enter: (entry: WalkEntry) => boolean;
  /** Each file (not folder); 'stop' ends the walk. */
  file: (entry: WalkEntry) => void | 'stop';
}

/** Walks `root` in sorted order; unreadable folders and entries are passed over. */
export function walkTree(root: string, rules: WalkRules): void {
  let stopped = false;
  const walk = (dir: string, rel: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (stopped) return;
      const path = join(dir, name);
      let stats: Stats;
      try {
        stats = rules.noFollow ? lstatSync(path) : statSync(path);
      } catch {
        continue;
      }
      const entry = { name, path, rel: rel ? `${rel}/${name}` : name, stats };
      if (stats.isDirectory()) {
        if (depth < rules.maxDepth && rules.enter(entry)) walk(path, entry.rel, depth + 1);
      } else if (rules.file(entry) === 'stop') stopped = true;
    }
  };
  walk(root, '', 0);
}
