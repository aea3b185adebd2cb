/**
 * The generator ShellChecks each script as its twin: the same template rendered with a placeholder
 * project name (audit/generated.ts), so one cached result serves every new project. That is sound only
 * if ShellCheck says the same about a script with any valid name as about its twin: checked here with
 * real ShellCheck over every distinct script set of the render matrix, for names that are shell words
 * (`eval`, `if`, `read`, `rm`), and with a control showing the comparison notices a name used as a command.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { TWIN_NAME, twinText } from '../../generators/audit/generated.js';
import { SH06_OPTIONAL_CHECKS } from '../../generators/audit/scripts.js';
import { renderProject } from '../../generators/render/index.js';
import { allAnswerCombinations } from '../../generators/render/matrix.js';
import { tempDir } from '../helpers.js';

const NAMES = ['eval', 'if', 'read', 'rm'];
const work = tempDir('pyimage-twin-');
afterAll(() => work.cleanup());

interface Comment {
  file: string;
  line: number;
  code: number;
  level: string;
}

/** ShellCheck as the generator runs it (json1, optional checks), over many files, two processes at a time. */
async function shellcheck(texts: string[]): Promise<Map<string, string[]>> {
  const files = texts.map((text, i) => {
    const file = join(work.dir, `${i}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}.sh`);
    writeFileSync(file, text);
    return file;
  });
  const out = new Map<string, string[]>(texts.map((t) => [t, []]));
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += 40) batches.push(files.slice(i, i + 40));
  const run = async (batch: string[]) => {
    const r = await execa('shellcheck', ['-f', 'json1', '-e', 'SC1090,SC1091', '-o', SH06_OPTIONAL_CHECKS, ...batch], { reject: false });
    expect([0, 1], r.stderr).toContain(r.exitCode);
    for (const c of (JSON.parse(r.stdout) as { comments: Comment[] }).comments) out.get(texts[files.indexOf(c.file)]!)!.push(`${c.line} SC${c.code} ${c.level}`);
  };
  await Promise.all([0, 1].map(async () => {
    for (let next = batches.shift(); next; next = batches.shift()) await run(next);
  }));
  return out;
}

describe('ShellCheck twins (scripts checked as rendered for a placeholder name)', () => {
  it('every script of the matrix gets the same ShellCheck result with names like eval, if, read, rm as its twin', async () => {
    // One combination per distinct set of twin scripts.
    const representatives = new Map<string, ReturnType<typeof allAnswerCombinations>[number]>();
    for (const answers of allAnswerCombinations()) {
      const scripts = renderProject({ ...answers, name: TWIN_NAME }).filter((f) => f.path.startsWith('scripts/'));
      representatives.set(createHash('sha256').update(scripts.map((s) => s.path + s.content).join('\0')).digest('hex'), answers);
    }
    const pairs: { label: string; real: string; twin: string }[] = [];
    for (const answers of representatives.values()) {
      const twin = new Map(renderProject({ ...answers, name: TWIN_NAME }).map((f) => [f.path, f.content]));
      for (const name of NAMES) {
        for (const f of renderProject({ ...answers, name }).filter((x) => x.path.startsWith('scripts/'))) {
          const other = twin.get(f.path)!;
          if (other !== f.content) pairs.push({ label: `${f.path} (name ${name}, ${answers.framework}, postgres ${answers.postgres})`, real: f.content, twin: other });
        }
      }
    }
    expect(pairs.length).toBeGreaterThan(representatives.size); // lib.sh and deploy-swarm.sh hold the name in every set
    const results = await shellcheck([...new Set(pairs.flatMap((p) => [p.real, p.twin]))]);
    const differing = pairs.filter((p) => results.get(p.real)!.join('|') !== results.get(p.twin)!.join('|'));
    expect(differing.map((p) => `${p.label}: ${results.get(p.real)!.join(', ')} vs twin ${results.get(p.twin)!.join(', ')}`)).toEqual([]);
  }, 300_000);

  it('control: the same comparison tells a name used as a command from its twin', async () => {
    const script = (name: string) => `#!/usr/bin/env bash\nset -euo pipefail\n${name} answer\necho "\${answer}"\n`;
    const results = await shellcheck([script('read'), script(TWIN_NAME)]);
    expect(results.get(script('read'))).toContain('3 SC2162 info'); // read without -r
    expect(results.get(script(TWIN_NAME))).not.toContain('3 SC2162 info');
  });

  it('a twin is used only when putting the name back gives the script exactly', () => {
    const answers = allAnswerCombinations()[0]!;
    const files = renderProject({ ...answers, name: 'shop-api' });
    const lib = files.find((f) => f.path === 'scripts/lib.sh')!;
    const twin = renderProject({ ...answers, name: TWIN_NAME });
    const as = twinText(files, { name: 'shop-api', files: twin })!;
    expect(as(lib.content)).toBe(twin.find((f) => f.path === 'scripts/lib.sh')!.content);
    expect(as(lib.content)).not.toBe(lib.content);
    // A twin that differs in more than the name (edited, or rendered from other answers) is not used.
    const tampered = twin.map((f) => (f.path === 'scripts/lib.sh' ? { ...f, content: `${f.content}eval "$1"\n` } : f));
    expect(twinText(files, { name: 'shop-api', files: tampered })!(lib.content)).toBe(lib.content);
    const other = renderProject({ ...answers, name: TWIN_NAME, gpu: answers.gpu === 'render' ? 'none' : 'render' });
    expect(other.find((f) => f.path === 'scripts/lib.sh')!.content.split(TWIN_NAME).join('shop-api')).not.toBe(lib.content); // lib.sh differs beyond the name
    expect(twinText(files, { name: 'shop-api', files: other })!(lib.content)).toBe(lib.content);
  });
});
