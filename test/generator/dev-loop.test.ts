/**
 * The development loop's files (issue 23) over the answer combinations: compose.dev.yml and its
 * bind-mount twin validate against the Compose Specification alone and merged over
 * docker-compose.yml, keep the hardening that does not get in the way, and never touch production;
 * the Dockerfile's dev stages stay out of the runtime image; scripts/dev.sh picks watch or the bind
 * mount by the Compose version and always stops what it started. Real-engine proof:
 * test/e2e/dev-*.e2e.test.ts.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { auditFiles } from '../../generators/audit/index.js';
import { detectDevDeps } from '../../generators/answers/dev-options.js';
import type { Answers } from '../../generators/answers/types.js';
import { composeObject } from '../../generators/render/compose.js';
import { devComposeObject } from '../../generators/render/dev-compose.js';
import { renderProject, type RenderedFile } from '../../generators/render/index.js';
import { allAnswerCombinations, answersFor } from '../../generators/render/matrix.js';
import { buildStack } from '../../generators/stack/build.js';
import { runCli, tempDir, validateCompose } from '../helpers.js';

type Service = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Compose's merge of an override for the keys the dev file sets (maps merge, ports and volumes add up). */
function merged(base: Record<string, any>, dev: Record<string, any>): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const services: Record<string, Service> = { ...base.services };
  for (const [name, over] of Object.entries(dev.services as Record<string, Service>)) {
    const b = services[name]!;
    services[name] = {
      ...b,
      ...over,
      build: { ...b.build, ...over.build },
      ...(over.ports ? { ports: [...(b.ports ?? []), ...over.ports] } : {}),
      ...(over.volumes ? { volumes: [...(b.volumes ?? []), ...over.volumes] } : {}),
    };
  }
  return { ...base, ...dev, services };
}

function stageNames(dockerfile: string): { name: string; from: string }[] {
  return [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => ({ from: m[1]!, name: m[2]! }));
}

function fileOf(files: RenderedFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} not rendered`);
  return f.content;
}

const combos: Answers[] = [
  ...allAnswerCombinations(),
  answersFor({ framework: 'flask', appModule: 'app:create_app()', worker: 'python -m app.worker', devDeps: 'requirements-dev.txt', debugger: true }),
  answersFor({ framework: 'django', appModule: 'mysite.wsgi:application', djangoDir: 'backend', deps: 'pip-pyproject', devDeps: 'dev', debugger: true }),
  answersFor({ framework: 'fastapi', deps: 'uv', devDeps: 'dev', stateDirs: ['/app/instance'] }),
];

describe(`compose.dev.yml over ${combos.length} combinations`, () => {
  it('validates alone and merged over docker-compose.yml, keeps non-root, no-new-privileges, cap_drop ALL and loopback ports', () => {
    const problems: string[] = [];
    for (const a of combos) {
      const model = buildStack(a);
      const base = composeObject(model) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const mode of ['watch', 'mount'] as const) {
        const dev = devComposeObject(model, mode) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        const all = merged(base, dev);
        const where = `${a.framework}/${a.deps}/${a.database}/${a.worker ? 'worker' : '-'}/${a.proxy}/${mode}`;
        for (const [what, doc] of [['dev', dev], ['merged', all]] as const) {
          const v = validateCompose(doc);
          if (!v.valid) problems.push(`${where} ${what}: ${v.errors.slice(0, 400)}`);
        }
        if (all.name !== `${a.name}-dev`) problems.push(`${where}: project ${all.name}`);
        for (const [name, s] of Object.entries(all.services as Record<string, Service>)) {
          const ours = name in dev.services;
          if (!ours) continue;
          if (s.build.target !== 'dev' || s.image !== `${a.name}:dev`) problems.push(`${where} ${name}: not the dev image`);
          if (s.user !== undefined || JSON.stringify(s.cap_drop) !== '["ALL"]' || !s.security_opt?.includes('no-new-privileges:true') || s.cap_add) problems.push(`${where} ${name}: hardening lost`);
          for (const p of s.ports ?? []) if (!/^(\$\{APP_BIND_IP:-127\.0\.0\.1\}|127\.0\.0\.1):/.test(p)) problems.push(`${where} ${name}: port ${p} not on loopback`);
          const synced = name === 'app' || name === 'worker';
          // Only watch's sync targets get a writable root; migrate and the bind-mount variant stay read-only.
          if (s.read_only !== !(synced && mode === 'watch')) problems.push(`${where} ${name}: read_only ${s.read_only}`);
          if (synced && mode === 'watch') {
            const rules = s.develop.watch as { path: string; action: string; target?: string }[];
            const sync = rules.find((r) => r.path === '.');
            if (sync?.action !== (name === 'worker' ? 'sync+restart' : 'sync') || sync.target !== '/app') problems.push(`${where} ${name}: sync rule`);
            const rebuild = rules.filter((r) => r.action === 'rebuild').map((r) => r.path);
            const deps = a.deps === 'requirements' ? [`./${a.requirementsFile}`] : a.deps === 'uv' ? ['./pyproject.toml', './uv.lock'] : ['./pyproject.toml'];
            for (const p of deps) if (!rebuild.includes(p)) problems.push(`${where} ${name}: no rebuild on ${p}`);
            // Rebuild rules come before the sync of the folder that holds them.
            if (rules.findIndex((r) => r.path === '.') !== rules.length - 1) problems.push(`${where} ${name}: sync before rebuild`);
          }
          if (synced && mode === 'mount' && !s.volumes?.includes('.:/app:ro')) problems.push(`${where} ${name}: no read-only bind mount`);
        }
        // Backing services (db, Redis, the proxy) are production's, unchanged.
        for (const name of Object.keys(base.services)) if (!(name in dev.services) && JSON.stringify(all.services[name]) !== JSON.stringify(base.services[name])) problems.push(`${where} ${name} changed`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs the framework\'s reload server, under debugpy on 127.0.0.1 only when asked', () => {
    const command = (a: Answers) => (devComposeObject(buildStack(a)).services as Record<string, Service>).app!.command.join(' ');
    expect(command(answersFor({ framework: 'fastapi', appModule: 'main:app' }))).toBe('uvicorn main:app --host 0.0.0.0 --port 8000 --reload');
    expect(command(answersFor({ framework: 'asgi', appModule: 'svc:make()' }))).toBe('uvicorn --factory svc:make --host 0.0.0.0 --port 8000 --reload');
    expect(command(answersFor({ framework: 'flask', appModule: 'app:create_app()' }))).toBe('flask --app app:create_app() --debug run --host 0.0.0.0 --port 8000');
    expect(command(answersFor({ framework: 'django', appModule: 'mysite.wsgi:application', djangoDir: 'backend' }))).toBe('python backend/manage.py runserver 0.0.0.0:8000');
    expect(command(answersFor({ framework: 'wsgi', appModule: 'svc.wsgi:application' }))).toMatch(/^gunicorn --reload --bind 0\.0\.0\.0:8000 .*svc\.wsgi:application$/);
    const debug = devComposeObject(buildStack(answersFor({ framework: 'django', appModule: 'mysite.wsgi:application', debugger: true }))).services as Record<string, Service>;
    expect(debug.app!.command.join(' ')).toBe('python -m debugpy --listen 0.0.0.0:5678 manage.py runserver 0.0.0.0:8000');
    expect(debug.app!.ports).toEqual(['127.0.0.1:5678:5678']);
    const flask = devComposeObject(buildStack(answersFor({ framework: 'flask', appModule: 'app:app', debugger: true }))).services as Record<string, Service>;
    expect(flask.app!.command.slice(0, 6)).toEqual(['python', '-m', 'debugpy', '--listen', '0.0.0.0:5678', '-m']);
    expect(devComposeObject(buildStack(answersFor({}))).services).not.toHaveProperty('app.ports');
  });
});

describe('the Dockerfile\'s dev stages', () => {
  const render = (over: Partial<Answers>) => renderProject(answersFor(over));

  it('never reach the runtime image: runtime is the last stage and builds from neither', () => {
    for (const a of [{}, { devDeps: 'requirements-dev.txt', debugger: true }, { deps: 'uv' as const, devDeps: 'dev' }, { framework: 'django' as const, appModule: 'm.wsgi:application', collectStatic: true }]) {
      const dockerfile = fileOf(render(a), 'Dockerfile');
      const stages = stageNames(dockerfile);
      expect(stages[stages.length - 1]!.name).toBe('runtime');
      const runtime = dockerfile.split(/^FROM \S+ AS runtime$/m)[1]!;
      expect(runtime).not.toMatch(/--from=dev|debugpy|requirements-dev|--chown/);
      expect(stages.map((s) => s.name)).toContain('dev');
      // The dev image's code belongs to the app user (watch's sync writes it), by UID alone.
      const dev = dockerfile.split(/^FROM \S+ AS dev$/m)[1]!.split(/^FROM /m)[0]!;
      expect(dev).toMatch(/^COPY --chown=10001:10001 \. \/app$/m);
      expect(dev).toMatch(/^USER 10001$/m);
      expect(dev).not.toMatch(/^CMD /m);
    }
  });

  it('installs the development dependencies of each source, and debugpy only when asked', () => {
    const dev = (over: Partial<Answers>) => fileOf(render(over), 'Dockerfile');
    expect(dev({})).not.toContain('AS dev-tools');
    const req = dev({ devDeps: 'requirements/dev.txt' });
    expect(req).toContain('--mount=type=bind,source=requirements/dev.txt,target=/tmp/dev/requirements/dev.txt');
    expect(req).toContain('--mount=type=bind,source=requirements.txt,target=/tmp/dev/requirements.txt');
    expect(req).toContain('COPY --from=dev-tools /opt/venv /opt/venv');
    expect(dev({ deps: 'pip-pyproject', devDeps: 'dev' })).toContain("['optional-dependencies']['dev']");
    expect(dev({ deps: 'uv', devDeps: 'dev' })).toContain('uv sync --frozen --inexact --no-editable --group dev');
    expect(dev({ debugger: true })).toMatch(/pip --python \/opt\/venv\/bin\/python install debugpy==\d/);
    expect(dev({ deps: 'uv', debugger: true })).toMatch(/uv pip install --python \/opt\/venv\/bin\/python debugpy==\d/);
  });

  it('writes no compose.override.yml (production would load it), and documents the loop', () => {
    const files = render({ worker: 'python -m app.worker', debugger: true });
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['compose.dev.yml', 'compose.dev-mount.yml', 'scripts/dev.sh']));
    expect(paths.filter((p) => /override/.test(p))).toEqual([]);
    const readme = fileOf(files, 'README.Docker.md');
    expect(readme).toContain('scripts/dev.sh');
    expect(readme).toContain('"port": 5678');
    expect(parseYaml(fileOf(files, 'compose.dev.yml')).name).toBe('demo-service-dev');
  });
});

describe('scripts/dev.sh against a stand-in docker', () => {
  const work = tempDir('pyimage-devsh-');
  afterAll(() => work.cleanup());

  /** A project with a `docker` on PATH that answers as Compose `version` would and logs every call. */
  async function runDevSh(composeVersion: string, args: string[] = []): Promise<{ calls: string[]; exitCode: number | undefined; stderr: string }> {
    const dir = join(work.dir, `v${composeVersion}-${args.join('')}`);
    for (const f of renderProject(answersFor({ worker: 'python -m app.worker', database: 'postgres' }))) {
      mkdirSync(join(dir, f.path, '..'), { recursive: true });
      writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
    }
    const bin = join(dir, 'fake-bin');
    mkdirSync(bin);
    const log = join(dir, 'calls.log');
    writeFileSync(
      join(bin, 'docker'),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> ${JSON.stringify(log)}\n` +
        `case "$*" in *"compose version --short"*) echo ${JSON.stringify(composeVersion)} ;; *"version --format"*) echo 1.45 ;; esac\n` +
        // `up` runs until signalled, as the real one does; everything else returns at once.
        'if [[ "$*" == *" up "* ]]; then trap "exit 0" TERM; while :; do sleep 0.1; done; fi\nexit 0\n',
    );
    chmodSync(join(bin, 'docker'), 0o755);
    const child = execa('bash', ['scripts/dev.sh', ...args], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, CONTAINER_ENGINE: 'docker' }, reject: false, stdin: 'ignore' });
    for (let i = 0; i < 100 && !(readFileSync(log, { flag: 'a+' }).toString().includes(' up ')); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const r = await child;
    return { calls: readFileSync(log, 'utf8').trim().split('\n'), exitCode: r.exitCode, stderr: String(r.stderr) };
  }

  it('uses watch from Compose 2.23 (a worker needs sync+restart) and stops the dev project on TERM', async () => {
    const { calls, exitCode } = await runDevSh('2.26.1');
    const up = calls.find((c) => / up /.test(c))!;
    expect(up).toMatch(/-f \S+\/compose\.dev\.yml up --build --remove-orphans --watch$/);
    expect(calls[calls.length - 1]).toMatch(/-f \S+\/compose\.dev\.yml down --remove-orphans --timeout 10$/);
    expect(exitCode).toBe(143);
  });

  it('falls back to the read-only bind mount on an older Compose, and says so', async () => {
    const { calls, stderr } = await runDevSh('2.22.0');
    expect(stderr).toContain('has no develop.watch (needs 2.23.0 or newer)');
    expect(calls.find((c) => / up /.test(c))).toMatch(/-f \S+\/compose\.dev-mount\.yml up --build --remove-orphans$/);
    expect(calls[calls.length - 1]).toMatch(/compose\.dev-mount\.yml down/);
  });
});

describe('detection of development dependencies', () => {
  const work = tempDir('pyimage-devdeps-');
  afterAll(() => work.cleanup());
  const project = (files: Record<string, string>) => {
    const dir = join(work.dir, String(Object.keys(files).join('+')).replace(/\W/g, '_'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };

  it('finds requirements-dev.txt, the dev extra and uv\'s dev group', () => {
    expect(detectDevDeps(project({ 'requirements.txt': 'flask\n', 'requirements-dev.txt': 'pytest\n' }), 'requirements').devDeps).toBe('requirements-dev.txt');
    expect(detectDevDeps(project({ 'requirements.txt': 'flask\n' }), 'requirements').devDeps).toBe('');
    expect(detectDevDeps(project({ 'pyproject.toml': '[project]\nname="x"\n[project.optional-dependencies]\ndev=["pytest"]\n' }), 'pip-pyproject').devDeps).toBe('dev');
    expect(detectDevDeps(project({ 'pyproject.toml': '[project]\nname="y"\n[dependency-groups]\ndev=["pytest"]\n', 'uv.lock': '' }), 'uv').devDeps).toBe('dev');
    expect(detectDevDeps(project({ 'pyproject.toml': '[project]\nname="z"\n[tool.uv]\ndev-dependencies=["pytest"]\n', 'uv.lock': '' }), 'uv').devDeps).toBe('dev');
  });

  it('refuses a --dev-deps value that could escape the Dockerfile, naming the flag (exit 2, nothing written)', async () => {
    const dir = join(work.dir, 'bad');
    const r = await runCli([dir, '--yes', '--dev-deps', 'x"; rm -rf /'], {});
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('dev-deps');
  });
});

describe('create-pyimage dev', () => {
  it('names the fix when the project has no scripts/dev.sh (exit 2)', async () => {
    const dir = tempDir('pyimage-nodev-');
    try {
      const r = await runCli(['dev', dir.dir]);
      expect(r.exitCode).toBe(2);
      expect(String(r.stderr)).toMatch(/scripts\/dev\.sh is missing .*create-pyimage update/);
    } finally {
      dir.cleanup();
    }
  });
});

describe('audit and the dev files', () => {
  const project = renderProject(answersFor({ framework: 'django', appModule: 'mysite.wsgi:application', worker: 'python -m app.worker', database: 'postgres', debugger: true }));
  const files = project.filter((f) => !f.path.startsWith('scripts/')).map((f) => ({ path: f.path, content: f.content }));

  it('holds compose.dev.yml to no production rule (writable root, runserver), and the project stays clean', () => {
    const report = auditFiles(files, { shellcheck: 'off' });
    expect(report.findings.filter((f) => /compose\.dev/.test(f.file))).toEqual([]);
    expect(report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical')).toEqual([]);
  });

  it('flags the same settings as compose.override.yml, which production loads (DV-01), by line', () => {
    const dev = fileOf(project, 'compose.dev.yml');
    for (const name of ['compose.override.yml', 'docker-compose.override.yml']) {
      const report = auditFiles([...files.filter((f) => !f.path.startsWith('compose.dev')), { path: name, content: dev }], { shellcheck: 'off' });
      const dv = report.findings.filter((f) => f.ruleId === 'DV-01');
      expect(dv.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(/service app has `develop.watch`/), expect.stringMatching(/service app runs a reload\/debug server/), expect.stringMatching(/service worker builds the `dev` stage/)]));
      const line = dev.split('\n').findIndex((l) => l.trim() === 'develop:') + 1;
      expect(dv.some((f) => f.line === line)).toBe(true);
    }
  });

  it('leaves a production-shaped override alone', () => {
    const override = 'services:\n  app:\n    environment:\n      LOG_LEVEL: ${LOG_LEVEL:-INFO}\n';
    const report = auditFiles([...files, { path: 'compose.override.yml', content: override }], { shellcheck: 'off' });
    expect(report.findings.filter((f) => f.ruleId === 'DV-01')).toEqual([]);
  });
});
