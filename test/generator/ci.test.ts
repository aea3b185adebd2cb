/**
 * The pipelines `--ci` writes: GitHub's own parser accepts the workflow for every answer combination,
 * each action is pinned by commit, each job has its own permissions, and every command a `run:` or
 * `script:` line calls exists (create-pyimage subcommands parse with the CLI's own commander program).
 * The GitLab file validates against GitLab's CI schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';
import { Ajv } from 'ajv';
import { Command, CommanderError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { registrations } from '../../generators/cli/main.js';
import { renderProject, type RenderedFile } from '../../generators/render/index.js';
import { allAnswerCombinations, answersFor } from '../../generators/render/matrix.js';
import type { Answers } from '../../generators/answers/types.js';
import { detectCi, remoteUrls } from '../../generators/answers/ci-detect.js';
import { repoRoot, runCli, tempDir } from '../helpers.js';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';

const WORKFLOW = '.github/workflows/container.yml';

/** Every distinct rendering of one CI file across the answer matrix (most answers do not change it). */
function distinct(ci: Answers['ci'], path: string): { content: string; files: RenderedFile[]; answers: Answers }[] {
  const seen = new Map<string, { content: string; files: RenderedFile[]; answers: Answers }>();
  for (const answers of allAnswerCombinations()) {
    const withCi = { ...answers, ci };
    const files = renderProject(withCi);
    const file = files.find((f) => f.path === path);
    if (!file) throw new Error(`${path} not rendered for ${JSON.stringify(withCi)}`);
    if (!seen.has(file.content)) seen.set(file.content, { content: file.content, files, answers: withCi });
  }
  return [...seen.values()];
}

/** The CLI's program with every action replaced: parsing checks commands and flags, runs nothing. */
async function parser(): Promise<(args: string[]) => void> {
  const program = new Command().exitOverride();
  for (const register of await registrations()) register(program, () => {});
  const noop = () => {};
  program.action(noop);
  for (const command of program.commands) command.action(noop).exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return (args) => {
    const known = program.commands.map((c) => c.name());
    expect(known, `create-pyimage ${args.join(' ')}`).toContain(args[0]);
    program.parse(args, { from: 'user' });
  };
}

/**
 * The commands of one shell line as words: quotes respected, split at unquoted `&&`, `||`, `;` and
 * `|`; a redirection (`>`, `>>`) and its target dropped. Enough for the lines the pipelines hold.
 */
function commands(line: string): string[][] {
  const out: string[][] = [[]];
  let word: string | undefined;
  let quote: string | undefined;
  let redirect = false;
  const end = () => {
    if (word !== undefined && !redirect) out[out.length - 1]!.push(word);
    else if (word !== undefined) redirect = false;
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') word += line[++i] ?? '';
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === ' ' || c === '\t') end();
    else if (c === '>') {
      end();
      if (line[i + 1] === '>') i++;
      redirect = true;
    } else if (c === '&' || c === '|' || c === ';') {
      end();
      if (line[i + 1] === c) i++;
      out.push([]);
    } else word = (word ?? '') + c;
  }
  expect(quote, `unclosed quote in: ${line}`).toBeUndefined();
  end();
  return out.filter((words) => words.length > 0);
}

const ALLOWED = new Set(['jq', 'echo', 'apk', 'docker', 'grype', 'true']);

/** Checks each command of a run/script line; returns the create-pyimage subcommands it called. */
function checkLine(line: string, files: RenderedFile[], parse: (args: string[]) => void): string[] {
  const called: string[] = [];
  for (const words of commands(line)) {
    if (words[0] === 'npx') {
      const rest = words.slice(1).filter((w) => w !== '--yes');
      expect(rest[0], line).toMatch(/^create-pyimage@\d+\.\d+\.\d+$/);
      const args = rest.slice(1);
      expect(() => parse(args), line).not.toThrow();
      called.push(args[0]!);
    } else if (words[0]!.startsWith('scripts/')) {
      expect(files.map((f) => f.path), line).toContain(words[0]);
    } else {
      expect(ALLOWED.has(words[0]!), `${line}: ${words[0]} is not a command the pipeline may call`).toBe(true);
    }
  }
  return called;
}

describe('GitHub workflow (--ci github)', () => {
  let renderings: ReturnType<typeof distinct>;
  let parse: (args: string[]) => void;
  beforeAll(async () => {
    renderings = distinct('github', WORKFLOW);
    parse = await parser();
  }, 180_000);

  it("parses with GitHub's own parser (@actions/workflow-parser) for every answer combination", () => {
    expect(renderings.length).toBeGreaterThan(1); // SERVER_PACKAGES, POSTGRES_IMAGE, REDIS_IMAGE vary it
    for (const { content } of renderings) {
      const result = parseWorkflow({ name: WORKFLOW, content }, new NoOperationTraceWriter());
      expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
      expect(result.value).toBeDefined();
    }
  });

  it('the parser refuses what GitHub refuses (the check can fail)', () => {
    const broken = renderings[0]!.content.replace('runs-on: ubuntu-24.04', 'runs-onn: ubuntu-24.04');
    const result = parseWorkflow({ name: WORKFLOW, content: broken }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().length).toBeGreaterThan(0);
  });

  it('pins every action by full commit SHA with its release in a comment, and sets permissions per job', () => {
    for (const { content } of renderings) {
      const uses = content.split('\n').filter((l) => /^\s*(- )?uses:/.test(l));
      expect(uses.length).toBeGreaterThan(8);
      for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
      const doc = parseYaml(content) as { permissions: unknown; on: Record<string, unknown>; jobs: Record<string, { permissions?: Record<string, string>; steps: { uses?: string; with?: Record<string, unknown>; run?: string }[] }> };
      expect(doc.permissions).toEqual({});
      for (const [name, job] of Object.entries(doc.jobs)) {
        expect(job.permissions, name).toBeDefined();
        expect(job.permissions!.contents, name).toBe('read');
        const writes = Object.entries(job.permissions!).filter(([, v]) => v === 'write').map(([k]) => k);
        expect(writes, name).toEqual(name === 'audit' ? ['security-events'] : name === 'publish' ? ['packages'] : []);
        for (const s of job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) expect(s.with?.['persist-credentials']).toBe(false);
        for (const s of job.steps.filter((s) => s.run)) expect(s.run, `${name}: no expression in a run: line`).not.toContain('${{');
      }
      expect(Object.keys(doc.on)).not.toContain('pull_request_target');
      expect(content).not.toContain('github.event.');
    }
  });

  it('runs only create-pyimage commands and flags that exist (parsed by the CLI itself), and helpers it allows', () => {
    for (const { content, files } of renderings) {
      const doc = parseYaml(content) as { jobs: Record<string, { steps: { run?: string }[] }> };
      const called = Object.values(doc.jobs).flatMap((job) => job.steps.flatMap((s) => (s.run ? s.run.split('\n').flatMap((l) => checkLine(l, files, parse)) : [])));
      expect(called.sort()).toEqual(['audit', 'smoke']);
    }
  });

  it('passes the build arguments compose passes, from repository variables', () => {
    const answers = answersFor({ ci: 'github', installServer: true, postgres: true, redis: true });
    const files = renderProject(answers);
    const compose = parseYaml(files.find((f) => f.path === 'docker-compose.yml')!.content) as { services: { app: { build: { args: Record<string, string> } } } };
    const workflow = parseYaml(files.find((f) => f.path === WORKFLOW)!.content) as { env: Record<string, string>; jobs: { build: { steps: { with?: Record<string, string> }[] } } };
    const argNames = Object.keys(compose.services.app.build.args).sort();
    const buildArgs = workflow.jobs.build.steps.find((s) => s.with?.['build-args'])!.with!['build-args']!.trim().split('\n');
    expect(buildArgs.map((l) => l.split('=')[0]).sort()).toEqual(argNames);
    for (const name of [...argNames, 'POSTGRES_IMAGE', 'REDIS_IMAGE']) expect(workflow.env[name]).toMatch(new RegExp(`^\\$\\{\\{ vars\\.${name}( \\|\\| '[^']+')? \\}\\}$`));
    expect(workflow.env.PIP_INDEX_URL).toBe('${{ vars.PIP_INDEX_URL }}');
  });

  it('comes with a Dependabot configuration for Python, images and actions', () => {
    const files = renderProject(answersFor({ ci: 'github', deps: 'uv' }));
    const dependabot = parseYaml(files.find((f) => f.path === '.github/dependabot.yml')!.content) as { updates: { 'package-ecosystem': string }[] };
    expect(dependabot.updates.map((u) => u['package-ecosystem'])).toEqual(['uv', 'docker', 'docker-compose', 'github-actions']);
  });
});

describe('GitLab pipeline (--ci gitlab)', () => {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'schemas', 'gitlab-ci.json'), 'utf8')) as object;
  const validate = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true, validateFormats: false }).compile(schema);

  it("validates against GitLab's CI schema for every answer combination, and runs only commands that exist", async () => {
    const parse = await parser();
    const renderings = distinct('gitlab', '.gitlab-ci.yml');
    expect(renderings.length).toBeGreaterThan(1);
    for (const { content, files } of renderings) {
      const doc = parseYaml(content) as Record<string, { script?: string[]; before_script?: string[]; after_script?: string[] }>;
      expect(validate(doc), JSON.stringify(validate.errors, null, 1)).toBe(true);
      const lines = Object.values(doc).flatMap((job) => (typeof job === 'object' && job !== null && !Array.isArray(job) ? [...(job.before_script ?? []), ...(job.script ?? []), ...(job.after_script ?? [])] : []));
      const called = lines.flatMap((l) => checkLine(l, files, parse));
      expect(called.sort()).toEqual(['audit', 'smoke']);
      expect(files.map((f) => f.path)).toContain('renovate.json');
    }
  }, 180_000);

  it('a document GitLab would refuse fails the same check (the schema is not a pass-all)', () => {
    expect(validate({ prove: { stage: 'check', script: 'x', artifacts: { reports: { cyclonedx: 5 } } } })).toBe(false);
  });
});

describe('--ci answer', () => {
  it('defaults to github with a .github/ folder or a GitHub remote, else none', () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(detectCi(dir).ci).toBeUndefined();
      mkdirSync(join(dir, '.git'));
      writeFileSync(join(dir, '.git', 'config'), '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:acme/shop.git\n');
      expect(detectCi(dir).ci).toBe('github');
      writeFileSync(join(dir, '.git', 'config'), '[remote "origin"]\n\turl = https://gitlab.com/acme/shop.git\n');
      expect(detectCi(dir).ci).toBeUndefined();
      mkdirSync(join(dir, '.github'));
      expect(detectCi(dir).ci).toBe('github');
    } finally {
      cleanup();
    }
    expect(remoteUrls('[remote "a"]\n url = ssh://git@github.com/o/r\n[branch "main"]\n url = nope\n')).toEqual(['ssh://git@github.com/o/r']);
  });

  it('--ci with an unknown value exits 2 naming the field and the choices, and writes nothing', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const target = join(dir, 'svc');
      const r = await runCli([target, '--yes', '--ci', 'travis']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('ci: "travis" is not allowed; choose one of: github, gitlab, none');
      expect(existsSync(join(target, 'Dockerfile'))).toBe(false);
    } finally {
      cleanup();
    }
  });
});
