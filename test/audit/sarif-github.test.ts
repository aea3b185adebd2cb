/**
 * SARIF as GitHub code scanning takes it: the sarif-sdk's GitHub upload rules (GH1001-GH1007, the
 * Multitool's policies/github.config.xml), written out here as a check, plus the published 2.1.0 schema.
 * Over the seed-audit fixtures and generated matrix output with files missing, every result must sit on
 * a line of a file that exists, by a URI relative to the source root.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSarif } from '../../generators/audit/format.js';
import { auditProject } from '../../generators/audit/index.js';
import { renderProject } from '../../generators/render/index.js';
import { allAnswerCombinations } from '../../generators/render/matrix.js';
import { tempDir } from '../helpers.js';

const require = createRequire(import.meta.url);
const fixtures = join(import.meta.dirname, '..', 'fixtures');

interface Location {
  physicalLocation?: { artifactLocation?: { uri?: string; uriBaseId?: string }; region?: { startLine?: number } };
}
interface Log {
  runs: { tool: { driver: { rules?: unknown[] } }; results?: { message?: { text?: string; id?: string }; locations?: Location[]; relatedLocations?: Location[]; codeFlows?: unknown[] }[] }[];
}

function schemaProblems(log: unknown): string[] {
  const schemaPath = join(require.resolve('@microsoft/jest-sarif/package.json'), '..', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
  return validate(log) ? [] : [JSON.stringify(validate.errors)];
}

/** The GitHub rules of the sarif-sdk validator, and that each location is a line of a file under `root`. */
export function githubProblems(log: Log, root: string): string[] {
  const problems: string[] = [];
  if (log.runs.length > 5) problems.push(`GH1004: ${log.runs.length} runs (limit 5)`);
  log.runs.forEach((run, r) => {
    if ((run.tool.driver.rules?.length ?? 0) > 1000) problems.push(`GH1004: run ${r} has more than 1000 rules`);
    if ((run.results?.length ?? 0) > 1000) problems.push(`GH1004: run ${r} has more than 1000 results`);
    (run.results ?? []).forEach((result, i) => {
      const at = `runs[${r}].results[${i}]`;
      if (!result.locations || result.locations.length === 0) problems.push(`GH1001: ${at} has no locations`);
      if ((result.locations?.length ?? 0) > 10) problems.push(`GH1004: ${at} has more than 10 locations`);
      if (result.codeFlows !== undefined) problems.push(`GH1002: ${at} has code flows (none expected; thread flow locations must be inline)`);
      if (typeof result.message?.text !== 'string' || result.message.text === '' || /\{\d+\}/.test(result.message.text)) problems.push(`GH1007: ${at} message is not fully formatted text`);
      for (const [k, loc] of [...(result.locations ?? []), ...(result.relatedLocations ?? [])].entries()) {
        const where = `${at}.locations[${k}]`;
        const uri = loc.physicalLocation?.artifactLocation?.uri;
        if (uri === undefined) {
          problems.push(`GH1001: ${where} has no physicalLocation.artifactLocation.uri`);
          continue;
        }
        // GH1005/GH1006: relative URI references (absolute file: URIs would need a checkout path).
        if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/') || uri.split('/').includes('..')) problems.push(`GH1005: ${where} uri ${uri} is not relative to the source root`);
        const line = loc.physicalLocation?.region?.startLine;
        if (!Number.isInteger(line) || (line as number) < 1) {
          problems.push(`GH1003: ${where} (${uri}) has no region.startLine >= 1`);
          continue;
        }
        const file = join(root, decodeURI(uri));
        if (!existsSync(file)) problems.push(`${where}: ${uri} does not exist`);
        else if ((line as number) > readFileSync(file, 'utf8').split(/\r?\n/).length) problems.push(`${where}: ${uri} has no line ${line}`);
      }
    });
  });
  return problems;
}

async function sarifOf(dir: string): Promise<{ log: Log; results: number }> {
  const report = await auditProject(dir, { shellcheck: 'off' });
  const log = JSON.parse(formatSarif(report, '0.0.0')) as Log;
  return { log, results: log.runs[0]!.results?.length ?? 0 };
}

describe('SARIF meets GitHub code scanning\'s upload rules (sarif-sdk GH1001-GH1007)', () => {
  const seeds = readdirSync(fixtures).filter((d) => d.startsWith('audit-'));

  it.each(seeds)('fixture %s: every result has a region in a file that exists', async (name) => {
    const { log } = await sarifOf(join(fixtures, name));
    expect(schemaProblems(log)).toEqual([]);
    expect(githubProblems(log, join(fixtures, name))).toEqual([]);
  });

  it('findings about a missing file sit on the line that makes it matter', async () => {
    const { log } = await sarifOf(join(fixtures, 'audit-django-bad'));
    const results = log.runs[0]!.results!;
    const di01 = results.find((r) => r.message?.text?.startsWith('.dockerignore: no .dockerignore'))!;
    const loc = di01.locations![0]!.physicalLocation!;
    expect(loc.artifactLocation!.uri).toBe('Dockerfile');
    const dockerfile = readFileSync(join(fixtures, 'audit-django-bad', 'Dockerfile'), 'utf8').split('\n');
    expect(dockerfile[loc.region!.startLine! - 1]).toMatch(/^(COPY|ADD)\b/i);
    const noGitignore = (await sarifOf(join(fixtures, 'audit-bad'))).log.runs[0]!.results!.find((r) => r.message?.text?.includes('no .gitignore'))!;
    expect(noGitignore.locations![0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: '.env' }, region: { startLine: 1 } });
  });

  describe('generated matrix output, with .dockerignore and .gitignore removed, a .env added and a script not executable', () => {
    const work = tempDir('pyimage-sarif-');
    afterAll(() => work.cleanup());
    const combinations = allAnswerCombinations().filter((_, i) => i % 24 === 0);

    it(`${combinations.length} combinations: every result has a region in a file that exists`, async () => {
      let total = 0;
      for (const [n, answers] of combinations.entries()) {
        const dir = join(work.dir, String(n));
        for (const f of renderProject(answers)) {
          mkdirSync(dirname(join(dir, f.path)), { recursive: true });
          writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
        }
        rmSync(join(dir, '.dockerignore'));
        rmSync(join(dir, '.gitignore'));
        writeFileSync(join(dir, '.env'), 'APP_PORT=8000\n');
        chmodSync(join(dir, 'scripts', 'up.sh'), 0o644);
        const { log, results } = await sarifOf(dir);
        total += results;
        expect(results, 'the broken project has findings').toBeGreaterThanOrEqual(3);
        expect(schemaProblems(log)).toEqual([]);
        expect(githubProblems(log, dir), `combination ${n}`).toEqual([]);
      }
      expect(total).toBeGreaterThan(combinations.length * 3);
    }, 240_000);
  });

  it('control: the check reports a result without a region, outside the root, or in a missing file', () => {
    const result = (uri: string, region?: { startLine: number }) => ({ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri }, ...(region ? { region } : {}) } }] });
    const log: Log = { runs: [{ tool: { driver: { rules: [] } }, results: [result('Dockerfile'), result('/etc/passwd', { startLine: 1 }), result('nope.txt', { startLine: 1 }), result('Dockerfile', { startLine: 999 })] }] };
    const problems = githubProblems(log, join(fixtures, 'audit-bad'));
    expect(problems.join('\n')).toMatch(/GH1003[\s\S]*GH1005[\s\S]*nope\.txt does not exist[\s\S]*has no line 999/);
  });
});
