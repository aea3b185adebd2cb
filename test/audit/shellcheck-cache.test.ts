/**
 * The ShellCheck result cache (audit/shellcheck.ts): a valid entry spares a ShellCheck run; an entry
 * that was altered, or a file that is not JSON, is a miss, so a script with problems never passes on it.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers.js';

const work = tempDir('pyimage-sc-cache-');
afterAll(() => work.cleanup());
const log = join(work.dir, 'calls.log');
// A shellcheck on PATH that counts its runs and then runs the real one.
writeFileSync(join(work.dir, 'shellcheck'), `#!/usr/bin/env bash\necho run >> ${JSON.stringify(log)}\nexec /usr/bin/shellcheck "$@"\n`);
chmodSync(join(work.dir, 'shellcheck'), 0o755);
const cacheFile = join(work.dir, 'cache', 'create-pyimage', 'shellcheck-2.json');
const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);

const BAD = '#!/usr/bin/env bash\nset -euo pipefail\nname="$1"\nrm -rf $name/build\n';
const OTHER = '#!/usr/bin/env bash\nset -euo pipefail\necho "${1:-}"\n';

/** A fresh copy of the module, as a new `create-pyimage` process would load it. */
async function freshRunner() {
  vi.resetModules();
  const { systemShellcheck } = await import('../../generators/audit/shellcheck.js');
  const system = systemShellcheck();
  if (!system) throw new Error('shellcheck is not installed');
  return system;
}

describe('ShellCheck result cache', () => {
  it('reuses sealed results; an altered or broken cache means a fresh check, never a pass', async () => {
    vi.stubEnv('PATH', `${work.dir}:${process.env.PATH ?? ''}`);
    vi.stubEnv('XDG_CACHE_HOME', join(work.dir, 'cache'));

    const first = await freshRunner();
    first.prefetch([BAD, OTHER]); // one process for both, saved to the cache
    const codes = first.runner(BAD, 'x.sh')!.map((c) => c.code);
    expect(codes).toContain(2086);
    expect(existsSync(cacheFile)).toBe(true);
    const afterFirst = runs();

    const second = await freshRunner();
    expect(second.runner(BAD, 'x.sh')!.map((c) => c.code)).toEqual(codes);
    expect(runs(), 'a valid entry: no ShellCheck run').toBe(afterFirst);

    // Someone (or a torn write) empties the comments but cannot recompute the seal.
    const stored = JSON.parse(readFileSync(cacheFile, 'utf8')) as { results: Record<string, { comments: unknown[]; seal: string }> };
    for (const entry of Object.values(stored.results)) entry.comments = [];
    writeFileSync(cacheFile, JSON.stringify(stored));
    const third = await freshRunner();
    expect(third.runner(BAD, 'x.sh')!.map((c) => c.code)).toEqual(codes);
    expect(runs(), 'the altered entry was checked again').toBe(afterFirst + 1);

    writeFileSync(cacheFile, '{"id": "trunc');
    const fourth = await freshRunner();
    expect(fourth.runner(BAD, 'x.sh')!.map((c) => c.code)).toEqual(codes);
    expect(runs()).toBeGreaterThan(afterFirst + 1);
    vi.unstubAllEnvs();
  }, 60_000);
});
