/** Detection on fixture projects, answer precedence, scripted prompts, and validation messages. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectProject } from '../../generators/answers/detect.js';
import { resolveAnswers, type Prompter } from '../../generators/answers/resolve.js';
import { AnswerError, OPTIONS } from '../../generators/answers/schema.js';
import { splitCommand } from '../../generators/answers/shell-words.js';
import { repoRoot } from '../helpers.js';

const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', name);

describe('detection', () => {
  it('finds FastAPI, its app object, the requirements file (with includes) and .python-version', () => {
    const d = detectProject(fixture('detect-fastapi-req'));
    expect(d.answers).toMatchObject({
      name: 'detect-fastapi-req',
      framework: 'fastapi',
      appModule: 'app.main:app',
      deps: 'requirements',
      requirementsFile: 'requirements.txt',
      pythonVersion: '3.11',
    });
    expect(d.answers.postgres).toBeUndefined();
    expect(d.notes.join('\n')).toMatch(/requirements\.txt with 3 requirements/);
    expect(d.notes.join('\n')).toMatch(/app object app\.main:app in app\/main\.py/);
  });

  it('finds a Flask factory in a PEP 621 pyproject, psycopg2 needing libpq, and Flask-Migrate', () => {
    const d = detectProject(fixture('detect-flask-factory'));
    expect(d.answers).toMatchObject({
      framework: 'flask',
      appModule: 'flaskr:create_app()',
      deps: 'pip-pyproject',
      postgres: true,
      libpq: true,
      migrations: 'flask-db',
    });
    expect(d.notes.join('\n')).toMatch(/build backend setuptools\.build_meta/);
    expect(d.notes.join('\n')).toMatch(/psycopg2.*libpq5/);
  });

  it('finds uv, a src-layout app, asyncpg (no libpq) and alembic', () => {
    const d = detectProject(fixture('detect-uv'));
    expect(d.answers).toMatchObject({ deps: 'uv', framework: 'fastapi', appModule: 'svc.api:api', postgres: true, libpq: false, migrations: 'alembic' });
  });

  it('says clearly that Poetry is not supported yet', () => {
    const d = detectProject(fixture('detect-poetry'));
    expect(d.warnings.join('\n')).toMatch(/Poetry is not supported yet/);
    expect(d.answers.deps).toBeUndefined();
  });

  it('works on a folder that does not exist yet (a new project)', () => {
    const d = detectProject('/nonexistent/My_New Service');
    expect(d.answers).toEqual({ name: 'my-new-service' });
  });
});

describe('answer precedence: flags > answers file > detection > defaults', () => {
  it('takes each answer from the strongest source that has it', async () => {
    const a = await resolveAnswers({
      flags: { port: '9000' },
      file: { port: 7000, healthPath: '/ready', framework: 'flask' },
      detected: { framework: 'fastapi', appModule: 'app.main:app', healthPath: '/nope', name: 'detected-name', deps: 'uv' },
    });
    expect(a.port).toBe(9000);
    expect(a.healthPath).toBe('/ready');
    expect(a.framework).toBe('flask');
    expect(a.name).toBe('detected-name');
    expect(a.deps).toBe('uv');
    expect(a.pythonVersion).toBe('3.12');
    expect(a.memory).toBe('512m');
    // The detected module belongs to FastAPI; with Flask chosen the Flask default applies.
    expect(a.appModule).toBe('app:app');
  });

  it('fails without prompting when a required answer is missing (exit 2 material)', async () => {
    await expect(resolveAnswers({ flags: { framework: 'asgi' }, detected: { name: 'x' } })).rejects.toThrow(/app: is required here/);
  });
});

describe('prompts driven with pre-filled answers', () => {
  it('asks what flags did not answer, offers detection as the default, and skips irrelevant questions', async () => {
    const asked: { flag: string; offered: unknown }[] = [];
    const scripted: Record<string, unknown> = { framework: 'flask', postgres: true, 'postgres-version': '16', migrations: 'alembic', worker: 'celery -A app worker' };
    const prompter: Prompter = async (spec, offered) => {
      asked.push({ flag: spec.flag, offered });
      return spec.flag in scripted ? scripted[spec.flag] : offered;
    };
    const a = await resolveAnswers({ flags: { port: '8080' }, detected: { name: 'shop', appModule: 'shop:create_app()', framework: 'flask' }, prompt: prompter });
    const flags = asked.map((q) => q.flag);
    expect(flags).not.toContain('port');
    expect(flags).not.toContain('migrate-command');
    expect(flags).toEqual(expect.arrayContaining(['name', 'framework', 'app', 'postgres', 'postgres-version', 'migrations', 'worker', 'gpu']));
    expect(asked.find((q) => q.flag === 'name')?.offered).toBe('shop');
    expect(asked.find((q) => q.flag === 'app')?.offered).toBe('shop:create_app()');
    expect(a).toMatchObject({ name: 'shop', port: 8080, postgres: true, postgresVersion: 16, migrations: 'alembic', worker: 'celery -A app worker', appModule: 'shop:create_app()' });
  });

  it('does not ask Postgres follow-ups when there is no database', async () => {
    const asked: string[] = [];
    await resolveAnswers({ flags: {}, detected: { name: 'x' }, prompt: async (spec, offered) => (asked.push(spec.flag), offered) });
    expect(asked).not.toContain('postgres-version');
    expect(asked).not.toContain('migrations');
  });
});

describe('validation names the field and what is allowed', () => {
  const bad: [string, unknown, RegExp][] = [
    ['name', 'my "app"', /^name: .*lowercase letters, digits and single dashes/],
    ['name', 'app\nname', /^name: /],
    ['port', 0, /^port: 0 is not allowed; use a whole number from 1024 to 65535/],
    ['port', '70000', /^port: "70000" is not allowed/],
    ['pythonVersion', '2.7', /^python: "2\.7" is not supported; choose one of: 3\.10, 3\.11, 3\.12, 3\.13/],
    ['framework', 'pyramid', /^framework: "pyramid" is not allowed; choose one of: fastapi, flask, asgi, wsgi, django/],
    ['worker', 'python -m app.worker\nrm -rf /', /^worker: must be a single line/],
    ['worker', 'python worker.py && echo done', /^worker: shell operator "&"/],
    ['requirementsFile', '../outside/requirements.txt', /^requirements-file: .*inside the project/],
    ['requirementsFile', '/etc/requirements.txt', /^requirements-file: /],
    ['healthPath', 'health', /^health-path: .*start with "\/"/],
    ['appModule', 'main.app', /^app: .*module:attribute/],
    ['memory', '10', /^memory: .*k, m or g/],
    ['cpus', '-1', /^cpus: /],
    ['gpuServices', 'app,db', /^gpu-services: "db" is not allowed; give app and\/or worker, comma-separated/],
    ['gpuServices', ' , ', /^gpu-services: name at least one service/],
  ];
  for (const [key, value, message] of bad) {
    it(`${key} = ${JSON.stringify(value)}`, () => {
      const spec = OPTIONS.find((o) => o.key === key)!;
      expect(() => spec.parse(value)).toThrow(AnswerError);
      expect(() => spec.parse(value)).toThrow(message);
    });
  }

  it('gives the GPU only to services the stack has, in one canonical order', async () => {
    await expect(resolveAnswers({ flags: { gpu: 'render', gpuServices: 'worker' }, detected: { name: 'x' } })).rejects.toThrow(/^gpu-services: names "worker" but this stack has no worker/);
    await expect(resolveAnswers({ flags: { gpuServices: 'worker', gpu: 'none' }, detected: { name: 'x' } })).rejects.toThrow(/^gpu-services: is only used with --gpu render or --gpu nvidia/);
    const a = await resolveAnswers({ flags: { gpu: 'render', worker: 'python -m w' }, file: { gpuServices: ['worker', 'APP', 'worker'] }, detected: { name: 'x' } });
    expect(a.gpuServices).toBe('app,worker');
    expect((await resolveAnswers({ flags: { gpu: 'nvidia' }, detected: { name: 'x' } })).gpuServices).toBe('app');
  });

  it('refuses migrations without a database, by name', async () => {
    await expect(resolveAnswers({ flags: { migrations: 'alembic' }, detected: { name: 'x' } })).rejects.toThrow(/^migrations: "alembic" needs a database; add --postgres/);
    await expect(resolveAnswers({ flags: { postgres: true, migrations: 'custom' }, detected: { name: 'x' } })).rejects.toThrow(/^migrate-command: is required with --migrations custom/);
    await expect(resolveAnswers({ flags: { framework: 'fastapi', appModule: 'main:create("prod")' }, detected: { name: 'x' } })).rejects.toThrow(/^app: uvicorn calls an app factory without arguments/);
  });
});

describe('command splitting for exec form', () => {
  it('splits like a shell, keeping quoted spaces and quotes', () => {
    expect(splitCommand(`celery -A app worker --hostname "w1 main" --name 'it"s'`)).toEqual(['celery', '-A', 'app', 'worker', '--hostname', 'w1 main', '--name', 'it"s']);
  });
  it('refuses expansions and unclosed quotes', () => {
    expect(() => splitCommand('python $HOME/x.py')).toThrow(/expansion/);
    expect(() => splitCommand('python "x.py')).toThrow(/unclosed/);
  });
});
