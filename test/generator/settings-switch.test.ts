/**
 * Issue 18, items 4-6: Django settings that switch production on by a variable (what generation says,
 * and the build stage that runs collectstatic only when STATIC_ROOT is set), list settings read as a
 * raw string (left unset, with a note), and a self-audit finding caused by the user's own --env value
 * (a warning naming the flag; --strict fails; our own findings are still our bug).
 */
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectProject } from '../../generators/answers/detect.js';
import { resolveAnswers } from '../../generators/answers/resolve.js';
import { generationNotes } from '../../generators/answers/notes.js';
import { debugWith, productionOn, readSwitch } from '../../generators/answers/django-switch.js';
import { auditGenerated } from '../../generators/audit/generated.js';
import { renderProject } from '../../generators/render/index.js';
import { repoRoot, runCli, snapshot, tempDir } from '../helpers.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures');
const work = tempDir('pyimage-switch-');
afterAll(() => work.cleanup());
let count = 0;

function settings(src: string): string {
  const dir = join(work.dir, `s${++count}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'settings.py'), src);
  return dir;
}

function djangoProject(settingsSrc: string): string {
  const dir = join(work.dir, `d${++count}`);
  const files: Record<string, string> = {
    'requirements.txt': 'Django>=4.2,<5\ndjango-environ==0.4.4\n',
    'manage.py': 'import os\nimport sys\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_cfg.settings")\nfrom django.core.management import execute_from_command_line\n\nexecute_from_command_line(sys.argv)\n',
    'site_cfg/__init__.py': '',
    'site_cfg/wsgi.py': 'from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n',
    'site_cfg/settings.py': settingsSrc,
  };
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

describe('DEBUG as the settings compute it, per environment', () => {
  const cases: [string, string, string, string][] = [
    ["Render: DEBUG = 'RENDER' not in os.environ", "import os\nDEBUG = 'RENDER' not in os.environ\n", 'RENDER', '1'],
    ['Azure: a conditional expression on WEBSITE_HOSTNAME', "import os\nDEBUG = False if 'WEBSITE_HOSTNAME' in os.environ else True\n", 'WEBSITE_HOSTNAME', '1'],
    ['Azure: an if block on WEBSITE_HOSTNAME', "import os\nDEBUG = True\nif 'WEBSITE_HOSTNAME' in os.environ:\n    DEBUG = False\n", 'WEBSITE_HOSTNAME', '1'],
    ['a comparison after .lower()', "import os\nDEBUG = os.environ.get('APP_ENV', 'development').lower() != 'production'\n", 'APP_ENV', 'production'],
    ['django-environ with a bool scheme', "import environ\nenv = environ.Env(DJANGO_DEBUG=(bool, True))\nDEBUG = env('DJANGO_DEBUG')\n", 'DJANGO_DEBUG', 'False'],
  ];
  for (const [what, src, variable, value] of cases) {
    it(what, () => {
      const sw = readSwitch(settings(src), 'settings.py')!;
      expect(sw.variables).toContain(variable);
      expect(debugWith(sw, new Map())).toBe(true);
      expect(productionOn(sw, new Map())).toEqual({ name: variable, value });
      expect(debugWith(sw, new Map([[variable, value]]))).toBe(false);
    });
  }

  it('STATIC_ROOT set only under `if not DEBUG` is reported with its condition', () => {
    const sw = readSwitch(settings("import os\nDEBUG = 'RENDER' not in os.environ\nif not DEBUG:\n    STATIC_ROOT = 'staticfiles'\n"), 'settings.py')!;
    expect(sw.staticRootUnder).toEqual({ line: 4, condition: 'if not DEBUG' });
  });
});

describe('production switch at generation', () => {
  const render = join(FIXTURES, 'e2e-django-render-switch');

  it('without the switch: the variable that turns production on is named, and DEBUG on is a warning', async () => {
    const { answers, detection } = await answersFor(render);
    expect(detection.notes).toContain("the settings switch production on by RENDER (backend/mysite/settings.py:15: DEBUG = 'RENDER' not in os.environ): --env RENDER=1 turns it on");
    expect(generationNotes(answers, detection.facts)).toEqual(["warning: the app would run with DEBUG on (backend/mysite/settings.py:15: DEBUG = 'RENDER' not in os.environ): pass --env RENDER=1 to switch production on"]);
  });

  it('with --env RENDER=1: production on is said, no warning', async () => {
    const { answers, detection } = await answersFor(render, { env: ['RENDER=1'] });
    expect(generationNotes(answers, detection.facts)).toEqual(["production on: RENDER=1 turns DEBUG off (backend/mysite/settings.py:15: DEBUG = 'RENDER' not in os.environ)"]);
  });

  it('the build stage gets the app environment and runs collectstatic only when STATIC_ROOT is set under it', async () => {
    const { answers } = await answersFor(render, { env: ['RENDER=1'] });
    const dockerfile = renderProject(answers).find((f) => f.path === 'Dockerfile')!.content;
    const run = dockerfile.split('\n').find((line) => line.includes(' shell -c '))!;
    expect(run).toMatch(/^RUN (\w+=\S+ )*PYTHONPATH=\/app\/backend \/opt\/venv\/bin\/python backend\/manage\.py shell -c '/);
    for (const setting of ['DATABASE_URL=sqlite://:memory:', 'RENDER=1', 'SECRET_KEY=build-only-not-a-secret']) expect(run).toContain(` ${setting} `);
    expect(run).toContain('call_command("collectstatic", interactive=False) if s.STATIC_ROOT else print("STATIC_ROOT is not set under this environment: collectstatic skipped")');
  });
});

describe('wire only what parses', () => {
  it('django-environ raw string into ALLOWED_HOSTS is left unset with a note; env.list gets a list', async () => {
    const { answers, detection } = await answersFor(join(FIXTURES, 'scan-django-environ-raw'));
    expect(answers.env.find((e) => e.startsWith('DJANGO_ALLOWED_HOSTS='))).toBeUndefined();
    expect(answers.env).toContain('DJANGO_CSRF_TRUSTED_ORIGINS=http://localhost:8000,http://127.0.0.1:8000');
    expect(detection.notes.join('\n')).toContain(
      'DJANGO_ALLOWED_HOSTS is left unset: ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", default=[]) (config/settings.py:14) hands ALLOWED_HOSTS the variable\'s text, and Django wants a list there',
    );
    // DEBUG = env("DEBUG") is the text itself: only empty text is false, so "False" would turn it on.
    expect(answers.env).toContain('DEBUG=');
  });

  const reads: [string, string, string | undefined][] = [
    ['env.list', 'ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])', 'localhost,127.0.0.1'],
    ['cast=list', 'ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", cast=list, default=[])', 'localhost,127.0.0.1'],
    ['.split(" ")', 'ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(" ")', 'localhost 127.0.0.1'],
    ['os.environ.get straight in', 'ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS")', undefined],
    ['os.environ[...] or a default', 'ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS") or ["localhost"]', undefined],
  ];
  for (const [what, line, wired] of reads) {
    it(`${what}: ${wired === undefined ? 'left unset' : `wired ${wired}`}`, async () => {
      const dir = djangoProject(`import os\nimport environ\n\nenv = environ.Env()\nSECRET_KEY = "x"\n${line}\n`);
      const { answers } = await answersFor(dir);
      const entry = answers.env.find((e) => e.startsWith('DJANGO_ALLOWED_HOSTS='));
      expect(entry).toBe(wired === undefined ? undefined : `DJANGO_ALLOWED_HOSTS=${wired}`);
    });
  }
});

describe("the user's explicit choice wins", () => {
  it('--env DEBUG=1: the finding is a warning naming the flag, files are written, exit 0', async () => {
    const dir = join(work.dir, 'debug-warn');
    cpSync(join(FIXTURES, 'scan-django-environ-raw'), dir, { recursive: true });
    const r = await runCli([dir, '--yes', '--env', 'DEBUG=1'], { env: { XDG_CACHE_HOME: join(work.dir, 'cache') } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toContain('warning: the audit flags values you gave; generation goes on (--strict makes this a failure):');
    expect(String(r.stderr)).toMatch(/docker-compose\.yml:\d+ {2}DJ-01 HIGH: service app sets DEBUG=1 \(from --env DEBUG=1\)/);
    expect(String(r.stderr)).toContain('warning: the app would run with DEBUG on (config/settings.py:12: DEBUG = env("DEBUG")), because of --env DEBUG=1');
    expect(String(r.stderr)).not.toContain('create-pyimage bug');
    expect(readdirSync(dir)).toContain('docker-compose.yml');
  });

  it('--strict turns it into a failure: exit 1, nothing written', async () => {
    const dir = join(work.dir, 'debug-strict');
    cpSync(join(FIXTURES, 'scan-django-environ-raw'), dir, { recursive: true });
    const before = snapshot(dir);
    const r = await runCli([dir, '--yes', '--env', 'DEBUG=1', '--strict'], { env: { XDG_CACHE_HOME: join(work.dir, 'cache') } });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/DJ-01 HIGH: service app sets DEBUG=1 \(from --env DEBUG=1\)/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a finding in what the generator chose itself is still reported as its bug', async () => {
    const { answers } = await answersFor(join(FIXTURES, 'scan-django-environ-raw'), { env: ['DEBUG=1'] });
    const files = renderProject(answers).map((f) => (f.path === 'docker-compose.yml' ? { ...f, content: f.content.replace('no-new-privileges:true', 'no-new-privileges:false') } : f));
    const audit = auditGenerated(files, { shellcheck: 'off' }, { env: ['DEBUG=1'] });
    expect(audit.ok).toBe(false);
    expect(audit.message).toMatch(/^audit of the generated files found problems \(a create-pyimage bug: please report it\)/);
    expect(audit.message).toContain('(from --env DEBUG=1)');
    expect(audit.fromUser.map((f) => f.finding.ruleId)).toEqual(['DJ-01']);
  });
});

describe('what generation says about a raw list setting', () => {
  it('the settings line says it is left unset and why, not "set it with --env"', async () => {
    const { describeSettings } = await import('../../generators/answers/wiring.js');
    const { answers, detection } = await answersFor(join(FIXTURES, 'scan-django-environ-raw'));
    const lines = describeSettings(answers, detection.facts);
    expect(lines).toContain('DJANGO_ALLOWED_HOSTS left unset: read in config/settings.py:14 as text that ALLOWED_HOSTS cannot take (a list is needed); change the settings to set it');
  });
});
