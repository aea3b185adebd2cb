/**
 * Issue 18: where the app is and what runs it. The app object in every common form (attribute form,
 * aliased imports, factories, packages, relative imports), the project's own run commands as hints,
 * gunicorn.conf.py respected with our bind stated, framework by evidence (a Flask manage.py is not
 * Django; Django in a subfolder), and no silent fallback when no app is found.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { detectProject } from '../../generators/answers/detect.js';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import { generationNotes } from '../../generators/answers/notes.js';
import { renderProject } from '../../generators/render/index.js';
import { repoRoot, runCli, snapshot, tempDir } from '../helpers.js';

const work = tempDir('pyimage-apps-');
afterAll(() => work.cleanup());
let count = 0;

/** A project from a map of relative path -> content. */
function project(files: Record<string, string>): string {
  const dir = join(work.dir, `p${++count}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

async function answersFor(dir: string, flags: Record<string, unknown> = {}) {
  const detection = detectProject(dir);
  return { detection, answers: await resolveAnswers({ flags, detected: detection.answers, facts: detection.facts }) };
}

const FASTAPI = { 'requirements.txt': 'fastapi\nuvicorn\n' };
const FLASK = { 'requirements.txt': 'flask\ngunicorn\n' };

describe('the app object in every common form', () => {
  const cases: [string, Record<string, string>, string, string][] = [
    ['import fastapi; app = fastapi.FastAPI()', { ...FASTAPI, 'service/api.py': 'import fastapi\n\napp = fastapi.FastAPI(title="x")\n' }, 'service.api:app', 'fastapi'],
    ['from flask import Flask as F; application = F(__name__)', { ...FLASK, 'web.py': 'from flask import Flask as F\n\napplication = F(__name__)\n' }, 'web:application', 'flask'],
    ['import flask; app = flask.Flask(__name__) in a package __init__', { ...FLASK, 'shop/__init__.py': 'import flask\n\napp = flask.Flask(__name__)\n' }, 'shop:app', 'flask'],
    ['annotated: app: FastAPI = FastAPI()', { ...FASTAPI, 'main.py': 'from fastapi import FastAPI\n\napp: FastAPI = FastAPI()\n' }, 'main:app', 'fastapi'],
    [
      'a factory that builds and returns the app',
      { ...FLASK, 'blog/__init__.py': 'from flask import Flask\n\n\ndef make_app(config=None):\n    app = Flask(__name__)\n    return app\n' },
      'blog:make_app()',
      'flask',
    ],
    [
      'create_app building the app through a helper, in a file importing Flask',
      { ...FLASK, 'site_app/__init__.py': 'import flask\n\nfrom .build import configure\n\n\ndef create_app():\n    app = configure()\n    return app\n', 'site_app/build.py': 'def configure():\n    ...\n' },
      'site_app:create_app()',
      'flask',
    ],
    [
      'app = create_app() in a module, the factory imported relatively',
      {
        ...FASTAPI,
        'api/__init__.py': '',
        'api/factory.py': 'import fastapi\n\n\ndef create_app(settings):\n    app = fastapi.FastAPI()\n    return app\n',
        'api/main.py': 'from .factory import create_app\n\napp = create_app({"debug": False})\n',
      },
      'api.main:app',
      'fastapi',
    ],
  ];
  for (const [what, files, app, framework] of cases) {
    it(what, async () => {
      const { answers, detection } = await answersFor(project(files));
      expect(answers.appModule).toBe(app);
      expect(answers.framework).toBe(framework);
      expect(detection.notes.join('\n')).toContain(app);
    });
  }

  it('the app built only under `if __name__ == "__main__"` is not an app object', () => {
    const dir = project({ ...FASTAPI, 'main.py': 'import fastapi\n\nif __name__ == "__main__":\n    app = fastapi.FastAPI()\n' });
    expect(detectProject(dir).answers.appModule).toBeUndefined();
  });
});

describe("the project's own run commands", () => {
  const app = { 'svc/__init__.py': '', 'svc/web.py': 'import fastapi\n\napp = fastapi.FastAPI()\nother = fastapi.FastAPI()\n' };
  const cases: [string, Record<string, string>, string, Partial<Record<'server' | 'port', unknown>>][] = [
    ['Dockerfile CMD (exec form)', { 'Dockerfile': 'FROM python:3.12\nCMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "-b", "0.0.0.0:9000", "svc.web:other"]\n' }, 'Dockerfile:2 (CMD)', { server: 'gunicorn', port: 9000 }],
    ['Dockerfile CMD through sh -c', { 'Dockerfile': 'FROM python:3.12\nCMD ["sh", "-c", "alembic upgrade head && uvicorn svc.web:other --host 0.0.0.0 --port 8081"]\n' }, 'Dockerfile:2 (CMD)', { server: 'uvicorn', port: 8081 }],
    ['Dockerfile CMD (shell form, python -m uvicorn)', { 'Dockerfile': 'FROM python:3.12\nCMD python -m uvicorn svc.web:other --host 0.0.0.0 --port 8005\n' }, 'Dockerfile:2 (CMD)', { server: 'uvicorn', port: 8005 }],
    ['Procfile web:', { 'Procfile': 'release: python migrate.py\nweb: gunicorn svc.web:other --bind 0.0.0.0:$PORT\n' }, 'Procfile:2', { server: 'gunicorn' }],
    ['App Engine app.yaml entrypoint', { 'app.yaml': 'runtime: python312\nentrypoint: gunicorn -b :$PORT svc.web:other\n' }, 'app.yaml (entrypoint)', { server: 'gunicorn' }],
    ['render.yaml startCommand', { 'render.yaml': 'services:\n  - type: web\n    name: api\n    startCommand: uvicorn svc.web:other --host 0.0.0.0 --port $PORT\n' }, 'render.yaml (startCommand)', { server: 'uvicorn' }],
    ['.do/app.yaml run_command', { '.do/app.yaml': 'services:\n- name: api\n  run_command: gunicorn --worker-tmp-dir /dev/shm svc.web:other\n' }, '.do/app.yaml (run_command)', { server: 'gunicorn' }],
    ['startup.sh (Azure App Service)', { 'startup.sh': '#!/bin/sh\npython -m pip --version\ngunicorn --bind=0.0.0.0 --timeout 600 svc.web:other\n' }, 'startup.sh', { server: 'gunicorn' }],
    ['gunicorn.conf.py wsgi_app', { 'gunicorn.conf.py': 'wsgi_app = "svc.web:other"\nworker_class = "uvicorn.workers.UvicornWorker"\n' }, 'gunicorn.conf.py:1 (wsgi_app)', { server: 'gunicorn' }],
  ];
  for (const [what, files, source, expected] of cases) {
    it(`${what} names the app over the first one found`, () => {
      const d = detectProject(project({ ...FASTAPI, ...app, ...files }));
      expect(d.answers.appModule).toBe('svc.web:other');
      expect(d.answers).toMatchObject(expected);
      expect(d.notes.join('\n')).toContain(`app object svc.web:other in svc/web.py:4, as ${source} runs it`);
    });
  }

  it('uvicorn --factory becomes module:factory(); a command naming what the code lacks is ignored, said so', () => {
    const d = detectProject(project({ ...FASTAPI, 'main.py': 'import fastapi\n\ndef build():\n    return fastapi.FastAPI()\n', 'Procfile': 'web: uvicorn main:build --factory\n', 'Dockerfile': 'FROM x\nCMD ["gunicorn", "old.module:app"]\n' }));
    expect(d.answers.appModule).toBe('main:build()');
    expect(d.notes.join('\n')).toContain('Dockerfile:2 (CMD) runs old.module:app, which the project does not define: not used');
  });
});

describe('gunicorn.conf.py in the working directory', () => {
  const files = {
    ...FASTAPI,
    'requirements.txt': 'fastapi\nuvicorn\ngunicorn\n',
    'main.py': 'import fastapi\n\napp = fastapi.FastAPI()\n',
    'gunicorn.conf.py': 'import os\n\nbind = f"127.0.0.1:{os.environ.get(\'PORT\', \'8090\')}"\nworkers = 3\nworker_class = "uvicorn.workers.UvicornWorker"\ndaemon = True\n',
  };

  it('is respected: its port is the default, its settings apply, our --bind overrides its address, said at generation', async () => {
    const { answers, detection } = await answersFor(project(files));
    expect(answers).toMatchObject({ server: 'gunicorn', port: 8090 });
    const notes = generationNotes(answers, detection.facts);
    expect(notes[0]).toBe(
      'gunicorn.conf.py: gunicorn loads it from /app, so its settings apply (workers = 3, worker_class = "uvicorn.workers.UvicornWorker"); ' +
        'the command line\'s --bind 0.0.0.0:8090 overrides its bind "127.0.0.1:8090", so the app listens on port 8090 on every interface',
    );
    expect(notes).toContain('gunicorn.conf.py: daemon = True sends gunicorn to the background and the container exits: remove it');
    const dockerfile = renderProject(answers).find((f) => f.path === 'Dockerfile')!.content;
    expect(dockerfile).toMatch(/^CMD \["gunicorn", "--worker-class", "uvicorn\.workers\.UvicornWorker", "--bind", "0\.0\.0\.0:8090", .*"main:app"\]$/m);
  });

  it('--port overrides it and says so; with --server uvicorn it is not used, and that is said', async () => {
    const dir = project(files);
    const moved = await answersFor(dir, { port: '9000' });
    expect(generationNotes(moved.answers, moved.detection.facts)[0]).toMatch(/--bind 0\.0\.0\.0:9000 overrides its bind "127\.0\.0\.1:8090", so the app listens on port 9000 on every interface \(not 8090: --port changes it\)$/);
    const uvicorn = await answersFor(dir, { server: 'uvicorn' });
    expect(generationNotes(uvicorn.answers, uvicorn.detection.facts)[0]).toBe('gunicorn.conf.py is not used: the app runs on uvicorn (pass --server gunicorn to run it under gunicorn with that file)');
  });
});

describe('no silent fallback', () => {
  it('no app object: exit 2 listing what was seen and the --app to pass, nothing written, also with --yes', async () => {
    const dir = project({ ...FASTAPI, 'api/__init__.py': '', 'api/server.py': 'import fastapi\nfrom .routes import router\n\n\ndef serve(port):\n    app = fastapi.FastAPI()\n    app.include_router(router)\n    return app\n', 'api/routes.py': 'import fastapi\n\nrouter = fastapi.APIRouter()\n' });
    const before = snapshot(dir);
    const r = await runCli([dir, '--yes']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('app: no app object was found');
    expect(String(r.stderr)).toContain('api/server.py:5: factory api.server:serve(...) needs arguments');
    expect(String(r.stderr)).toContain('api/routes.py imports fastapi but builds no app at module level');
    expect(String(r.stderr)).toMatch(/Pass --app module:attribute, e\.g\. --app api\.main:app/);
    expect(String(r.stderr)).not.toContain('main:app in');
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(dir)).not.toContain('Dockerfile');
  });

  it('a new, empty project still takes the documented default', async () => {
    const { answers } = await answersFor(project({}), { framework: 'fastapi' });
    expect(answers.appModule).toBe('main:app');
  });
});

describe('framework by evidence', () => {
  it('a manage.py built on FlaskGroup is Flask, not Django', async () => {
    const { answers, detection } = await answersFor(join(repoRoot, 'test', 'fixtures', 'e2e-flask-manage-postgres'));
    expect(answers).toMatchObject({ framework: 'flask', appModule: 'project:app', server: 'gunicorn', postgres: true, djangoDir: '' });
    expect(detection.facts.django).toBeUndefined();
    expect(detection.notes).toContain("manage.py is a Flask command line (it imports flask.cli), not Django's");
  });

  it('Flask-Script and click manage.py files are not Django either', () => {
    for (const manage of ['from flask_script import Manager\nfrom app import app\n\nmanager = Manager(app)\n', 'import click\nfrom app import app\n\n@click.group()\ndef cli():\n    pass\n']) {
      const d = detectProject(project({ ...FLASK, 'app.py': 'from flask import Flask\n\napp = Flask(__name__)\n', 'manage.py': manage }));
      expect(d.answers.framework).toBe('flask');
      expect(d.facts.django).toBeUndefined();
    }
  });

  it('Django with manage.py in backend/: migrate, collectstatic and check --deploy run backend/manage.py; imports from /app/backend', async () => {
    const { answers } = await answersFor(join(repoRoot, 'test', 'fixtures', 'e2e-django-render-switch'));
    expect(answers).toMatchObject({ framework: 'django', djangoDir: 'backend', pythonPath: 'backend', appModule: 'mysite.wsgi:application', collectStatic: true });
    const files = renderProject(answers);
    const compose = parseYaml(files.find((f) => f.path === 'docker-compose.yml')!.content);
    expect(compose.services.migrate.command).toEqual(['python', 'backend/manage.py', 'migrate', '--noinput']);
    expect(files.find((f) => f.path === 'Dockerfile')!.content).toMatch(/^RUN .*PYTHONPATH=\/app\/backend \/opt\/venv\/bin\/python backend\/manage\.py shell -c '/m);
    expect(files.find((f) => f.path === 'scripts/smoke-test.sh')!.content).toContain('python backend/manage.py check --deploy');
  });

  it('--django-dir with another framework is refused by name', async () => {
    await expect(answersFor(project({ ...FLASK, 'app.py': 'from flask import Flask\n\napp = Flask(__name__)\n' }), { djangoDir: 'backend' })).rejects.toThrow(/django-dir: names the folder of manage\.py: use it with --framework django/);
  });
});

describe('Dockerfile template reads what it needs', () => {
  it('the fixture Dockerfile of the FastAPI package is read, not trusted blindly', () => {
    const text = readFileSync(join(repoRoot, 'test', 'fixtures', 'e2e-fastapi-package-gunicorn', 'Dockerfile'), 'utf8');
    expect(text).toContain('CMD ["gunicorn", "api.main:app"]');
    const d = detectProject(join(repoRoot, 'test', 'fixtures', 'e2e-fastapi-package-gunicorn'));
    expect(d.answers).toMatchObject({ appModule: 'api.main:app', framework: 'fastapi', server: 'gunicorn', port: 8080 });
  });
});
