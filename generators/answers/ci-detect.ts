/**
 * Which CI the project uses, for the `--ci` default: github when there is a .github/ folder or a
 * GitHub remote in .git/config, else none. GitLab is never guessed: an existing .gitlab-ci.yml is the
 * user's own pipeline, and ours is a choice (--ci gitlab).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Ci = 'github' | 'gitlab' | 'none';

/** The remote URLs in a git config file (`url = ...` lines of [remote "..."] sections). */
export function remoteUrls(config: string): string[] {
  const urls: string[] = [];
  let inRemote = false;
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inRemote = /^\[remote\s+"[^"]*"\]$/.test(line);
    else if (inRemote) {
      const m = /^url\s*=\s*(.+)$/.exec(line);
      if (m) urls.push(m[1]!.trim());
    }
  }
  return urls;
}

function host(url: string): string {
  // https://github.com/o/r.git, ssh://git@github.com/o/r, git@github.com:o/r.git
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)/i.exec(url);
  return (m?.[1] ?? '').toLowerCase();
}

export function detectCi(projectDir: string): { ci?: Ci; note?: string } {
  const gitConfig = join(projectDir, '.git', 'config');
  const remotes = existsSync(gitConfig) ? remoteUrls(readFileSync(gitConfig, 'utf8')).map(host) : [];
  if (existsSync(join(projectDir, '.github'))) return { ci: 'github', note: 'found .github/: --ci github' };
  if (remotes.some((h) => h === 'github.com')) return { ci: 'github', note: 'found a GitHub remote in .git/config: --ci github' };
  return {};
}
