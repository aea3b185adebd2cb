/**
 * The stack model (generators/stack): built once per generate and once per update; the placeholder
 * vocabulary as one table ({db.*}, {redis.*}, {secret.*}); every service module keeps its contract.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot, tempDir } from '../helpers.js';

// Every caller (render, the scripts' view, compose, the Swarm stack) gets the model through this
// module: wrapping its export counts every build of the model.
vi.mock('../../generators/stack/build.js', async (original) => {
  const actual = await original<typeof import('../../generators/stack/build.js')>();
  return { ...actual, buildStack: vi.fn(actual.buildStack) };
});

const { buildStack } = await import('../../generators/stack/build.js');
const { generate, update } = await import('../../generators/index.js');
const { MODULES } = await import('../../generators/stack/modules/index.js');
const { activeImageOverrides, smokeContributions } = await import('../../generators/stack/contributions.js');
const { OPTION_BY_KEY, OPTION_BY_FLAG, crossValidate } = await import('../../generators/answers/schema.js');
const { parseEnvEntry } = await import('../../generators/answers/settings.js');
const { placeholderList, SERVICE_FAMILIES } = await import('../../generators/answers/placeholders.js');
const { resolveAnswers } = await import('../../generators/answers/resolve.js');
const { answersFor } = await import('../../generators/render/matrix.js');
const { renderProject } = await import('../../generators/render/index.js');
const { TWIN_NAME } = await import('../../generators/audit/generated.js');

const work = tempDir('pyimage-model-');
afterAll(work.cleanup);
const builds = vi.mocked(buildStack);
beforeEach(() => {
  builds.mockClear();
});

describe('the stack model is built once', () => {
  it('one build per generate and one per update', async () => {
    const dir = join(work.dir, 'svc');
    cpSync(join(repoRoot, 'test/fixtures/detect-fastapi-req'), dir, { recursive: true });
    const generated = await generate(dir, { answers: { postgres: true, env: ['DATABASE_URL={db.url}', 'SECRET_KEY={secret.secret_key}'] } });
    expect(generated.written).toBe(true);
    // One model for the project; the only other is the ShellCheck twin's (the same answers under a
    // placeholder name, so cached script results serve every new project: audit/generated.ts).
    const names = builds.mock.calls.map(([answers]) => answers.name);
    expect(names.filter((n) => n !== TWIN_NAME)).toHaveLength(1);
    expect(names.filter((n) => n === TWIN_NAME).length).toBeLessThanOrEqual(1);

    builds.mockClear();
    const updated = await update(dir, { set: ['redis=true'] });
    expect(updated.answers.redis).toBe(true);
    expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).toContain('redis:');
    expect(builds).toHaveBeenCalledTimes(1);
  }, 60_000);
});

describe('one placeholder vocabulary', () => {
  const redisAnswers = () =>
    answersFor({
      redis: true,
      env: ['REDIS={redis.host}', 'REDIS_PORT={redis.port}', 'REDIS_PWD={redis.password}', 'REDIS_DB={redis.db}', 'BROKER={redis.url}'],
    });

  it('{redis.host}, {redis.port}, {redis.password} and {redis.db} reach the app; the password only as a secret token', () => {
    const compose = parseYaml(renderProject(redisAnswers()).find((f) => f.path === 'docker-compose.yml')!.content);
    const app = compose.services.app;
    expect(app.environment).toMatchObject({
      REDIS: 'redis',
      REDIS_PORT: '6379',
      REDIS_PWD: '{secret:redis_password}',
      REDIS_DB: '0',
      BROKER: 'redis://:{secret-url:redis_password}@redis:6379/0',
    });
    // The app mounts the secret its setting reads; the entrypoint fills it at start.
    expect(app.secrets).toEqual(['redis_password']);
    expect(app.healthcheck).toBeDefined();
    const files = renderProject(redisAnswers()).map((f) => f.path);
    expect(files).toContain('docker/entrypoint.py');
  });

  it('a credential-named variable may hold {redis.password}, not a literal', () => {
    expect(parseEnvEntry('REDIS_PASSWORD={redis.password}').value).toBe('{redis.password}');
    expect(() => parseEnvEntry('REDIS_PASSWORD=hunter2')).toThrow(/holds a secret/);
  });

  it('{redis.*} without Redis names the service and the flag', () => {
    expect(() => answersFor({ env: ['REDIS={redis.host}'] })).toThrow(/^env: \{redis\.host\} needs the Redis service; add --redis/);
    expect(() => crossValidate(answersFor({ redis: true, env: ['REDIS={redis.host}'] }))).not.toThrow();
  });

  it('an unknown key lists every placeholder, the same list --help shows', () => {
    const list = placeholderList();
    expect(list).toEqual(expect.arrayContaining(['{db.port}', '{redis.host}', '{redis.port}', '{redis.password}', '{redis.db}', '{redis.url}', '{secret.NAME}']));
    let message = '';
    try {
      parseEnvEntry('X={redis.user}');
    } catch (error) {
      message = (error as Error).message;
    }
    for (const p of list) expect(message).toContain(p);
    const help = OPTION_BY_KEY.get('env')!.hint;
    for (const p of list) expect(help).toContain(p);
  });

  it('collectstatic gets throw-away values for every {redis.*} key, never the secret', () => {
    const a = answersFor({ framework: 'django', appModule: 'mysite.wsgi:application', collectStatic: true, redis: true, env: ['REDIS={redis.host}', 'REDIS_PWD={redis.password}', 'CACHE={redis.url}'] });
    const dockerfile = renderProject(a).find((f) => f.path === 'Dockerfile')!.content;
    expect(dockerfile).toContain("REDIS=redis REDIS_PWD=build-only-not-a-secret CACHE=redis://redis:6379/0");
  });
});

describe('--database and its alias --postgres', () => {
  it('--database postgres, --postgres and an answers file with postgres: true give the same stack', async () => {
    const base = { name: 'x', framework: 'flask', appModule: 'app:app' };
    const byChoice = await resolveAnswers({ flags: { ...base, database: 'postgres' }, detected: {} });
    const byAlias = await resolveAnswers({ flags: { ...base, postgres: true }, detected: {} });
    const byFile = await resolveAnswers({ flags: base, file: { postgres: true }, detected: {} });
    for (const a of [byChoice, byAlias, byFile]) expect(a).toMatchObject({ database: 'postgres', postgres: true });
    expect(buildStack(byChoice).services.map((s) => s.name)).toEqual(['app', 'db']);
  });

  it('flags win over the answers file for both spellings; disagreeing flags are refused by name', async () => {
    const base = { name: 'x', framework: 'flask', appModule: 'app:app' };
    const a = await resolveAnswers({ flags: { ...base, database: 'none' }, file: { postgres: true }, detected: {} });
    expect(a).toMatchObject({ database: 'none', postgres: false });
    await expect(resolveAnswers({ flags: { ...base, database: 'none', postgres: true }, detected: {} })).rejects.toThrow(/^database: --database none and --postgres disagree/);
    await expect(resolveAnswers({ flags: { ...base, database: 'mysql' }, detected: {} })).rejects.toThrow(/^database: "mysql" is not allowed; choose one of: none, postgres/);
  });
});

describe('every service module keeps its contract', () => {
  it('names only rows of the one option table, and a known service, role and image override', () => {
    const seen = new Set<string>();
    for (const m of MODULES) {
      expect(seen.has(m.id), m.id).toBe(false);
      seen.add(m.id);
      for (const key of m.options) expect(OPTION_BY_KEY.has(key), `${m.id}: ${key}`).toBe(true);
      if (m.image) expect(m.image.variable).toMatch(/^[A-Z_]+_IMAGE$/);
    }
    // The modules' options together are the whole table: no option belongs to nobody.
    expect(new Set(MODULES.flatMap((m) => m.options))).toEqual(new Set([...OPTION_BY_FLAG.values()].map((o) => o.key)));
  });

  it('the active modules are exactly the services compose runs, each with its smoke steps and audit rules', () => {
    const a = answersFor({ postgres: true, libpq: true, migrations: 'alembic', redis: true, worker: 'python -m w' });
    const model = buildStack(a);
    const compose = parseYaml(renderProject(a).find((f) => f.path === 'docker-compose.yml')!.content);
    expect(model.services.map((s) => s.name)).toEqual(Object.keys(compose.services));
    expect(model.roles).toEqual({ app: 'rolling', worker: 'rolling', migrate: 'job', db: 'stateful', redis: 'stateful' });
    const steps = model.modules.flatMap((m) => m.smoke?.(a) ?? []).map((s) => s.name);
    expect(steps).toEqual(['app healthy', 'worker running', 'migration exited 0', 'database answers', 'redis answers with its password', 'worker connected to redis']);
    for (const m of model.modules) for (const e of m.audit?.(a) ?? []) expect(Object.keys(compose.services)).toContain(e.service);
    expect(activeImageOverrides(a).map((o) => [o.variable, o.flag])).toEqual([['PYTHON_IMAGE', 'base-image'], ['POSTGRES_IMAGE', 'postgres-image'], ['REDIS_IMAGE', 'redis-image']]);
    expect(activeImageOverrides(answersFor({})).map((o) => o.variable)).toEqual(['PYTHON_IMAGE']);
    // smoke reads each flag by its option name: commander names --proxy-image proxyImage, so they must agree
    for (const o of activeImageOverrides(answersFor({ proxy: 'caddy', postgres: true, redis: true }))) {
      expect(o.option, o.flag).toBe(o.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    }
    expect(smokeContributions(model).map((s) => s.name)).toEqual(steps);
  });

  it('each placeholder family is served by a module endpoint', () => {
    const a = answersFor({ postgres: true, redis: true });
    const served = buildStack(a).modules.flatMap((m) => (m.endpoint ? [m.endpoint(a).family] : []));
    expect(served.sort()).toEqual(SERVICE_FAMILIES.map((f) => f.family).sort());
  });
});

describe('the entrypoint is a file of its own', () => {
  it('templates/entrypoint.py compiles as Python and is what a stack with secret settings gets', () => {
    const template = join(repoRoot, 'templates/entrypoint.py');
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', template]);
    const a = answersFor({ env: ['SECRET_KEY={secret.secret_key}'] });
    const rendered = renderProject(a).find((f) => f.path === 'docker/entrypoint.py')!;
    const [first, ...rest] = rendered.content.split('\n');
    expect(first).toMatch(/^# Generated by create-pyimage \S+: see README\.Docker\.md\.$/);
    expect(rest.join('\n')).toBe(readFileSync(template, 'utf8').split('\n').slice(1).join('\n'));
    // Without a setting that reads a secret, there is nothing to fill: no entrypoint.
    expect(renderProject(answersFor({ env: ['PLAIN=1'] })).some((f) => f.path === 'docker/entrypoint.py')).toBe(false);
  });
});
