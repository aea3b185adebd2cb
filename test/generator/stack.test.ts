/**
 * deploy/swarm/stack.yml for every combination of the answer matrix: valid against the legacy v3
 * schema `docker stack deploy` enforces (../shared/schemas/docker-stack-v3.13.json, draft-04),
 * converted from the same model as docker-compose.yml, and meeting the Swarm rules by id.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { OPTION_BY_KEY } from '../../generators/answers/schema.js';
import type { Answers } from '../../generators/answers/types.js';
import { composeObject } from '../../generators/render/compose.js';
import { renderProject, type RenderedFile } from '../../generators/render/index.js';
import { allAnswerCombinations, answersFor } from '../../generators/render/matrix.js';
import { STACK_FILE, stackFromCompose } from '../../generators/render/stack.js';
import { buildView } from '../../generators/render/view.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { runCli, tempDir, validateStack } from '../helpers.js';

type Service = Record<string, any>;
const REGISTRY = 'registry.example.com:5000/team';

function fileOf(files: RenderedFile[], path: string): string {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} was not rendered`);
  return file.content;
}

/** Swarm rules by id (the SW-* rules of the swarm audit) that fail for this rendering. */
function violations(a: Answers, files: RenderedFile[]): string[] {
  const bad: string[] = [];
  const rule = (id: string, ok: boolean, why: string) => {
    if (!ok) bad.push(`${id}: ${why}`);
  };
  const stack = parseYaml(fileOf(files, STACK_FILE)) as Record<string, any>;
  const compose = parseYaml(fileOf(files, 'docker-compose.yml')) as Record<string, any>;
  const services = stack.services as Record<string, Service>;
  const frontDoor = a.proxy === 'caddy' ? 'proxy' : 'app';
  const schema = validateStack(stack);
  rule('SW-01', schema.valid, `schema: ${schema.errors}`);
  rule('SW-01', stack.version === '3.13' && stack.name === undefined, 'legacy v3 format, no compose-only top-level keys');
  rule('SW-01', JSON.stringify(Object.keys(services).sort()) === JSON.stringify(Object.keys(compose.services).sort()), 'the same services as compose');
  for (const [name, s] of Object.entries(services)) {
    const c = compose.services[name] as Service;
    for (const key of ['build', 'depends_on', 'restart', 'security_opt', 'shm_size', 'tmpfs', 'container_name']) {
      rule('SW-01', s[key] === undefined, `${name} has ${key}, which docker stack deploy ignores`);
    }
    rule('SW-07', s.read_only === true && s.cap_drop?.includes('ALL'), `${name} read-only, all capabilities dropped`);
    rule('SW-07', JSON.stringify(s.cap_add) === JSON.stringify(c.cap_add), `${name} adds exactly compose's capabilities`);
    rule('SW-07', s.volumes?.some((v: any) => v.type === 'tmpfs' && v.target === '/tmp'), `${name} /tmp on tmpfs`);
    rule('SW-07', s.init === c.init && JSON.stringify(s.healthcheck) === JSON.stringify(c.healthcheck), `${name} init and health check as in compose`);
    rule('SW-07', JSON.stringify(s.logging) === JSON.stringify(c.logging) && s.logging?.options?.['max-size'], `${name} log rotation`);
    rule('SW-07', JSON.stringify(s.command) === JSON.stringify(c.command) && JSON.stringify(s.networks) === JSON.stringify(c.networks), `${name} same command and networks`);
    const res = s.deploy?.resources ?? {};
    rule('SW-07', JSON.stringify(res.limits) === JSON.stringify(c.deploy.resources.limits) && res.reservations?.memory && res.reservations?.cpus, `${name} limits and reservations`);
    rule('SW-05', s.environment?.POSTGRES_PASSWORD === undefined && JSON.stringify(s.secrets) === JSON.stringify(c.secrets), `${name} secrets as files`);
    if ((name === 'app' || name === 'worker') && a.stateDirs.length > 0) {
      // Writable state lives in a node-local volume: one task, beside the app's volumes, stop-first.
      const d = s.deploy;
      rule('SW-03', d.replicas === 1 && d.update_config?.order === 'stop-first' && d.placement?.constraints?.[0] === `node.labels.${a.name}.app == true`, `${name} keeps its state on one node`);
      rule('SW-02', d.restart_policy?.condition === 'any' && d.restart_policy?.max_attempts === 5 && d.restart_policy?.window === '120s', `${name} bounded restart policy that also replaces a task which exited 0`);
    } else if (name === 'app' || name === 'worker') {
      const d = s.deploy;
      rule('SW-02', d.replicas === (name === 'app' ? 2 : 1), `${name} replicas`);
      rule('SW-02', d.update_config?.order === 'start-first' && d.update_config?.failure_action === 'rollback' && d.rollback_config !== undefined, `${name} rolling update with rollback`);
      rule('SW-02', d.restart_policy?.condition === 'any' && d.restart_policy?.max_attempts === 5 && d.restart_policy?.window === '120s', `${name} bounded restart policy that also replaces a task which exited 0`);
    }
    if (name === 'db') {
      rule('SW-03', s.deploy.replicas === 1 && s.deploy.update_config?.order === 'stop-first', 'one database task, never two on the volume');
      rule('SW-03', JSON.stringify(s.deploy.placement?.constraints) === JSON.stringify([`node.labels.${a.name}.db == true`]), 'pinned to the labelled node');
      // Postgres asks for a larger /dev/shm (compose's shm_size); MariaDB keeps the default and has none.
      if (a.database === 'postgres') rule('SW-03', c.shm_size === '128mb' && s.volumes.some((v: any) => v.type === 'tmpfs' && v.target === '/dev/shm' && v.tmpfs.size === 128 * 1024 ** 2), 'shm_size became a /dev/shm tmpfs');
      else rule('SW-03', c.shm_size === undefined && !s.volumes.some((v: any) => v.target === '/dev/shm'), `${a.database}: no /dev/shm mount without shm_size`);
      rule('SW-03', s.volumes.includes(c.volumes[0]), 'the same data volume');
    }
    if (name === 'migrate') {
      rule('SW-04', s.deploy.mode === 'replicated-job' && s.deploy.replicas === undefined && s.deploy.restart_policy.condition === 'on-failure', 'a job that retries until the database answers');
      rule('SW-04', s.environment.DEPLOY_ID === '${DEPLOY_ID:-manual}', 'a new spec per deploy');
    }
    if (name !== frontDoor) rule('SW-06', s.ports === undefined && s.deploy.endpoint_mode === 'dnsrr', `${name} unpublished, DNS round robin`);
    if (c.build) {
      const image = a.registry ? `${a.registry}/${c.image}` : c.image;
      rule('SW-08', s.image === image, `${name} image ${s.image}, expected ${image}`);
    } else rule('SW-08', s.image === c.image, `${name} image as in compose`);
  }
  // The front door is the one published service: the proxy when there is one (the ingress), else the app.
  const published = frontDoor === 'proxy' ? ['${PROXY_HTTP_PORT:-80}:80', '${PROXY_HTTPS_PORT:-443}:443', '${PROXY_HTTPS_PORT:-443}:443/udp'] : [`\${APP_PORT:-${a.port}}:${a.port}`];
  rule('SW-06', JSON.stringify(services[frontDoor]!.ports) === JSON.stringify(published), `${frontDoor} published without a host IP (Swarm has none)`);
  for (const [name, n] of Object.entries(compose.networks ?? {}) as [string, any][]) {
    rule('SW-06', stack.networks[name].driver === 'overlay' && stack.networks[name].internal === n.internal, `${name} overlay, internal as in compose`);
  }
  // Secret files: the same file compose reads, from the stack file's directory.
  for (const [name, secret] of Object.entries(compose.secrets ?? {}) as [string, any][]) {
    rule('SW-05', normalize(join(dirname(STACK_FILE), stack.secrets[name].file)) === normalize(secret.file), `${name} from the same file`);
  }
  const scripts = files.filter((f) => f.path.startsWith('scripts/')).map((f) => f.path);
  rule('SW-08', scripts.includes('scripts/deploy-swarm.sh') && scripts.includes('scripts/push.sh') === Boolean(a.registry), 'deploy script, push script with a registry');
  if (a.registry) rule('SW-08', fileOf(files, 'scripts/deploy-swarm.sh').includes('--with-registry-auth'), 'nodes get the registry credentials');
  return bad;
}

describe('the Swarm stack file', () => {
  const combos = [
    ...allAnswerCombinations(),
    answersFor({ registry: REGISTRY }),
    answersFor({ framework: 'flask', appModule: 'app:create_app()', postgres: true, libpq: true, migrations: 'flask-db', worker: 'python -m w', registry: REGISTRY }),
  ];

  it(`validates against docker-stack-v3.13.json and meets the Swarm rules for ${combos.length} answer combinations`, () => {
    const failures = combos.flatMap((a) => violations(a, renderProject(a)).map((v) => `${a.framework}/${a.postgres}/${a.migrations}/${a.worker}/${a.gpu}/${a.registry} ${v}`));
    expect(failures).toEqual([]);
    // Whole projects (deploy/k8s included), 572 times: past the 30 s unit default on a loaded 2-core machine.
  }, 120_000);

  it('converts services and secrets it does not know by their shape (a Redis added to the model, any other service)', () => {
    const view = buildView(answersFor({ postgres: true, libpq: true }));
    const compose = composeObject(view) as Record<string, any>;
    compose.services.redis = {
      image: 'redis:7-bookworm',
      command: ['sh', '-c', 'exec redis-server --requirepass "$$(cat /run/secrets/redis_password)"'],
      secrets: ['redis_password'],
      volumes: ['redis-data:/data'],
      read_only: true,
      tmpfs: ['/tmp'],
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      restart: 'on-failure:3',
      depends_on: { db: { condition: 'service_healthy' } },
      networks: ['backend'],
    };
    compose.services.search = { image: 'search:1', volumes: ['search-index:/index', './conf:/conf:ro'], restart: 'unless-stopped', networks: ['backend'] };
    compose.services.cache = { image: 'cache:1', restart: 'no', networks: ['backend'] };
    compose.volumes['redis-data'] = {};
    compose.volumes['search-index'] = {};
    compose.secrets.redis_password = { file: './secrets/redis_password' };
    const stack = stackFromCompose(compose, view) as Record<string, any>;
    const redis = stack.services.redis;
    expect(redis.deploy).toMatchObject({ replicas: 1, endpoint_mode: 'dnsrr', placement: { constraints: ['node.labels.demo-service.redis == true'] } });
    expect(redis.deploy.restart_policy).toMatchObject({ condition: 'any', max_attempts: 3, window: '120s' });
    expect(redis.volumes).toEqual(['redis-data:/data', { type: 'tmpfs', target: '/tmp' }]);
    expect(redis.command[2]).toContain('$$(cat /run/secrets/redis_password)');
    for (const key of ['security_opt', 'restart', 'depends_on', 'tmpfs']) expect(redis[key]).toBeUndefined();
    expect(stack.services.search.deploy.placement.constraints).toEqual(['node.labels.demo-service.search == true']);
    expect(stack.services.search.deploy.restart_policy.condition).toBe('any');
    expect(stack.services.cache.deploy).toMatchObject({ replicas: 1, restart_policy: { condition: 'none' }, update_config: { order: 'start-first' } });
    expect(stack.secrets.redis_password).toEqual({ file: '../../secrets/redis_password' });
    expect(stack.volumes).toMatchObject({ 'db-data': {}, 'redis-data': {}, 'search-index': {} });
    expect(validateStack(stack)).toEqual({ valid: true, errors: '' });
  });

  it('deploy-swarm.sh ensures the secret files the stack reads and labels a node for each stateful service', () => {
    const files = renderProject(answersFor({ postgres: true, libpq: true, migrations: 'alembic' }));
    const script = fileOf(files, 'scripts/deploy-swarm.sh');
    expect(script).toContain('readonly SECRET_FILES=(secrets/db_password)');
    expect(script).toContain('readonly NODE_LABELS=(demo-service.db)');
    expect(script).toMatch(/docker stack deploy --help[\s\S]*"\$\{deploy_args\[@\]\}" "\$\{stack\}"/);
    const plain = fileOf(renderProject(answersFor({})), 'scripts/deploy-swarm.sh');
    expect(plain).toContain('readonly SECRET_FILES=()');
    expect(plain).toContain('readonly NODE_LABELS=()');
  });

  it('with a registry, every script (push.sh too) passes shellcheck -S style with the SH-06 optional checks', () => {
    const work = tempDir('pyimage-swarm-shellcheck-');
    try {
      const scripts = renderProject(answersFor({ postgres: true, libpq: true, migrations: 'alembic', registry: REGISTRY })).filter((f) => f.path.startsWith('scripts/'));
      expect(scripts.map((s) => s.path)).toContain('scripts/push.sh');
      mkdirSync(join(work.dir, 'scripts'));
      for (const s of scripts) writeFileSync(join(work.dir, s.path), s.content, { mode: s.mode });
      const optional = 'check-set-e-suppressed,check-extra-masked-returns,require-variable-braces,quote-safe-variables,add-default-case,avoid-nullary-conditions';
      const run = () => execFileSync('shellcheck', ['-x', '-S', 'style', '-o', optional, '-f', 'gcc', ...scripts.map((s) => s.path)], { cwd: work.dir, encoding: 'utf8' });
      expect(run).not.toThrow();
    } finally {
      work.cleanup();
    }
  }, 60_000);

  it('--registry takes an image prefix and refuses anything else by name (exit 2, nothing written)', async () => {
    const parse = OPTION_BY_KEY.get('registry')!.parse;
    expect(parse('registry.example.com:5000/team/')).toBe('registry.example.com:5000/team');
    expect(parse('ghcr.io/acme')).toBe('ghcr.io/acme');
    expect(parse('')).toBe('');
    for (const bad of ['Registry.Example.com', 'reg.example.com/team:1.0', 'reg example', 'https://reg.example.com', 'reg.example.com/$(id)']) {
      expect(() => parse(bad), bad).toThrow(/^registry: .* is not an image prefix/);
    }
    const work = tempDir();
    try {
      const dir = join(work.dir, 'svc');
      mkdirSync(dir);
      writeFileSync(join(dir, 'main.py'), 'from fastapi import FastAPI\napp = FastAPI()\n');
      const bad = await runCli([dir, '--yes', '--registry', 'https://reg.example.com']);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/registry: "https:\/\/reg.example.com" is not an image prefix/);
      expect(existsSync(join(dir, 'Dockerfile'))).toBe(false);
      const good = await runCli([dir, '--yes', '--registry', REGISTRY]);
      expect(good.exitCode, good.stderr).toBe(0);
      expect(readFileSync(join(dir, STACK_FILE), 'utf8')).toContain(`image: ${REGISTRY}/svc:\${APP_VERSION:-0.1.0}`);
      expect(existsSync(join(dir, 'scripts/push.sh'))).toBe(true);
    } finally {
      work.cleanup();
    }
  }, 60_000);
});
