/**
 * The programmatic API as a user gets it: a project that depends on create-pyimage (linked into
 * its node_modules) imports `create-pyimage` through package.json `exports`, from the built dist/
 * (run `npm run build` first), and TypeScript finds the shipped declarations.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers.js';

const t = tempDir('pyimage-api-');
afterAll(t.cleanup);
const user = join(t.dir, 'user-project');
mkdirSync(join(user, 'node_modules'), { recursive: true });
symlinkSync(repoRoot, join(user, 'node_modules', 'create-pyimage'), 'dir');
writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'user-project', type: 'module', private: true }));

describe("import { generate, audit, ... } from 'create-pyimage'", () => {
  it('generates a stack and audits it, from plain JavaScript', async () => {
    writeFileSync(
      join(user, 'use.js'),
      [
        "import { generate, audit, update, smoke, build, UserError } from 'create-pyimage';",
        "const generated = await generate('svc', { answers: { name: 'api-demo', framework: 'flask', postgres: true } });",
        'const report = await audit(generated.dir);',
        'let refused;',
        "try { await generate('svc', { answers: { name: 'other' } }); } catch (error) { refused = error instanceof UserError ? error.exitCode : 'not a UserError'; }",
        'console.log(JSON.stringify({ written: generated.written, name: generated.answers.name, changes: generated.changes.length,',
        '  selfAudit: generated.audit.summary.grade, grade: report.summary.grade, findings: report.findings.length, refused,',
        "  functions: [update, smoke, build].map((f) => typeof f) }));",
      ].join('\n'),
    );
    const r = await execa('node', ['use.js'], { cwd: user, reject: false, env: { CI: 'true' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe(''); // the API prints nothing unless asked
    expect(JSON.parse(r.stdout)).toEqual({
      written: true,
      name: 'api-demo',
      changes: expect.any(Number),
      selfAudit: 'A',
      grade: 'A',
      findings: 0,
      refused: 2,
      functions: ['function', 'function', 'function'],
    });
    expect(readFileSync(join(user, 'svc', 'docker-compose.yml'), 'utf8')).toContain('  db:');
  });

  it('ships its types: a TypeScript user gets checked calls and typed results', async () => {
    writeFileSync(
      join(user, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: [] }, files: ['typed.ts', 'wrong.ts'] }),
    );
    writeFileSync(
      join(user, 'typed.ts'),
      [
        "import { generate, audit, build, type AuditReport, type BuildResult, type GenerateResult } from 'create-pyimage';",
        "export async function ok(): Promise<[GenerateResult, AuditReport, BuildResult]> {",
        "  const g = await generate('svc', { answers: { framework: 'fastapi' }, dryRun: true });",
        "  const grade: 'A' | 'B' | 'C' | 'D' | 'F' = (await audit(g.dir)).summary.grade;",
        "  void grade;",
        "  return [g, await audit('.'), await build({ dockerfilePath: 'Dockerfile', tag: 'x:y' })];",
        '}',
      ].join('\n'),
    );
    writeFileSync(
      join(user, 'wrong.ts'),
      [
        "import { audit, build } from 'create-pyimage';",
        "export async function wrong() {",
        "  const n: number = (await audit('.')).summary.grade;", // a grade is a letter
        "  await build({ dockerfile: 'Dockerfile' });", // the key is dockerfilePath
        '  return n;',
        '}',
      ].join('\n'),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await execa('node', [tsc, '-p', 'tsconfig.json'], { cwd: user, reject: false });
    const errors = r.stdout.split('\n').filter((l) => l.includes('error TS'));
    expect(errors.filter((l) => l.startsWith('typed.ts')), r.stdout).toEqual([]);
    expect(errors.some((l) => l.startsWith('wrong.ts(3') && /is not assignable to type 'number'/.test(l))).toBe(true);
    expect(errors.some((l) => l.startsWith('wrong.ts(4') && l.includes("'dockerfile' does not exist in type 'BuildInput'"))).toBe(true);
  }, 60_000);

  it('prints nothing without a log, even when it has settings and a server to report; with a log, the lines go there', async () => {
    writeFileSync(
      join(user, 'quiet.js'),
      [
        "import { generate } from 'create-pyimage';",
        "const answers = { name: 'quiet-demo', framework: 'flask', postgres: true, env: ['DATABASE_URL={db.url}'], stateDirs: ['uploads'] };",
        "await generate('quiet', { answers });",
        'const lines = [];',
        "await generate('loud', { answers, log: (line) => lines.push(line) });",
        'console.log(JSON.stringify(lines));',
      ].join('\n'),
    );
    const r = await execa('node', ['quiet.js'], { cwd: user, reject: false, env: { CI: 'true' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = (JSON.parse(r.stdout) as string[]).join('\n');
    expect(lines).toContain('DATABASE_URL');
    expect(lines).toContain('writable: /app/uploads');
    expect(lines).toContain('Done. Next');
  });
});
