/**
 * Every combination of framework x dependency source x Postgres x worker x GPU x migrations:
 * compose validates against the Compose Specification schema, every script passes
 * `shellcheck -S style` with the optional checks of SH-06 enabled, and the checklist rules that apply hold, asserted by rule id.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Answers } from '../../generators/answers/types.js';
import { renderProject, type RenderedFile } from '../../generators/render/index.js';
import { allAnswerCombinations } from '../../generators/render/matrix.js';
import { postgresDataPath } from '../../generators/render/view.js';

/** One-shot jobs that need no network at all (`network_mode: none`). */
const JOBS_WITHOUT_NETWORK = ['proxy-init', 'static-copy'];
import { tempDir, validateCompose } from '../helpers.js';

type Service = Record<string, any>;
/** The optional ShellCheck checks checklist rule SH-06 asks for. */
const SH06_OPTIONAL_CHECKS = 'check-set-e-suppressed,check-extra-masked-returns,require-variable-braces,quote-safe-variables,add-default-case,avoid-nullary-conditions';
const combos = allAnswerCombinations();

function label(a: Answers): string {
  return `${a.framework}/${a.deps}/${a.postgres ? `pg${a.postgresVersion}` : a.database === 'mariadb' ? `md-${a.mysqlDriver}` : 'nopg'}/${a.migrations}/${a.worker ? 'worker' : 'noworker'}/gpu-${a.gpu}/py${a.pythonVersion}`;
}

function fileOf(files: RenderedFile[], path: string): string {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} was not rendered`);
  return file.content;
}

/** The instructions of the last stage of a Dockerfile (continuation lines joined). */
function stages(dockerfile: string): { name: string; lines: string[] }[] {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ').replace(/ {2,}/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const out: { name: string; lines: string[] }[] = [];
  for (const line of joined) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[1] ?? '', lines: [] });
    else out[out.length - 1]?.lines.push(line);
  }
  return out;
}

/** Checklist rules, by id, that must hold for this combination; returns the ids that fail with why. */
/** MD-01..MD-07 (and the shared database rules) for a MariaDB stack; `runtime` is the last stage's text. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function mariadbViolations(a: Answers, compose: any, runtime: string): string[] {
  const bad: string[] = [];
  const rule = (id: string, ok: boolean, why: string) => {
    if (!ok) bad.push(`${id}: ${why}`);
  };
  const { app, db, migrate } = compose.services;
  const name = a.name.replace(/-/g, '_');
  rule('CP-13', app.depends_on?.db?.condition === 'service_healthy', 'app waits for a healthy db');
  rule('CP-19', compose.secrets?.db_password?.file === './secrets/db_password' && compose.secrets?.db_root_password?.file === './secrets/db_root_password', 'file secrets');
  rule('CP-20', db.environment.MARIADB_DATABASE === name && db.environment.MARIADB_USER === name, 'database name and user are fixed values');
  rule('MD-01', /:-mariadb:\d+\.\d+-noble\}$/.test(db.image), 'pinned release series');
  rule('MD-02', db.environment.MARIADB_PASSWORD_FILE === '/run/secrets/db_password' && db.environment.MARIADB_ROOT_PASSWORD_FILE === '/run/secrets/db_root_password' && !Object.keys(db.environment).some((k) => /^(MARIADB|MYSQL)_(ROOT_)?PASSWORD$/.test(k)), 'passwords from files');
  rule('MD-02', !(app.secrets ?? []).includes('db_root_password'), 'the app never gets root\'s password');
  rule('MD-03', !Object.keys(db.environment).some((k) => /ALLOW_EMPTY/.test(k)), 'no empty root password');
  rule('MD-04', db.volumes.includes('db-data:/var/lib/mysql') && compose.volumes['db-data'] !== undefined, 'data in a named volume');
  rule('MD-05', /mariadb-admin ping --host=127\.0\.0\.1 .*--protocol=tcp/.test(db.healthcheck.test[1]) && db.healthcheck.test[1].includes('$$('), 'TCP probe, $$-escaped');
  rule('PG-06', db.ports === undefined && JSON.stringify(db.networks) === '["backend"]', 'not published');
  rule('MD-06', parseInt(db.stop_grace_period, 10) >= 30, 'grace period');
  rule('MD-07', db.user === '999:999' && db.read_only === true && db.tmpfs.includes('/run/mysqld') && db.cap_add === undefined, 'own user, read-only, socket tmpfs');
  // {db.url} follows the driver: PyMySQL outside Django, mysql:// otherwise; the client library only for mysqlclient.
  const scheme = a.mysqlDriver === 'pymysql' && a.framework !== 'django' ? 'mysql+pymysql' : 'mysql';
  rule('MD-02', app.environment.DATABASE_URL === `${scheme}://${name}:{secret-url:db_password}@db:3306/${name}`, `DATABASE_URL is ${scheme}://`);
  rule('DF-05', /libmariadb3/.test(runtime) === (a.mysqlDriver === 'mysqlclient') && !/libmysqlclient-dev|libmariadb-dev/.test(runtime), 'libmariadb3 at run time exactly with mysqlclient, no headers');
  if (a.migrations !== 'none') rule('CP-13', migrate.depends_on?.db?.condition === 'service_healthy', 'migrations wait for the db');
  return bad;
}

function violations(a: Answers, files: RenderedFile[]): string[] {
  const bad: string[] = [];
  const rule = (id: string, ok: boolean, why: string) => {
    if (!ok) bad.push(`${id}: ${why}`);
  };
  const dockerfile = fileOf(files, 'Dockerfile');
  const compose = parseYaml(fileOf(files, 'docker-compose.yml')) as Record<string, any>;
  const services = compose.services as Record<string, Service>;
  const all = stages(dockerfile);
  const last = all[all.length - 1]!;
  const lastText = last.lines.join('\n');

  // Dockerfile
  rule('DF-02', !/^# syntax=/m.test(dockerfile), 'no syntax line unless asked for');
  rule('DF-03', /^ARG PYTHON_IMAGE=python:3\.1\d-slim-bookworm$/m.test(dockerfile) && !/:latest\b/.test(dockerfile), 'base image pinned through an ARG before FROM');
  rule('DF-03', dockerfile.indexOf('ARG PYTHON_IMAGE') < dockerfile.indexOf('FROM '), 'the base-image ARG comes before the first FROM');
  rule('DF-04', all.length >= 2 && new Set(all.map((s) => s.name)).size === all.length, 'multi-stage with unique aliases');
  rule('DF-05', !/apt-get install[^\n]*\b(build-essential|gcc|g\+\+|make|cmake|git|[a-z0-9.+-]+-dev)\b/.test(lastText), 'no toolchain in the runtime stage');
  rule('DF-05', /COPY --from=builder \/opt\/venv \/opt\/venv/.test(lastText), 'virtualenv copied from the builder');
  const users = last.lines.filter((l) => /^USER\s/.test(l));
  rule('DF-06', users.length > 0 && /^USER\s+[1-9]\d{4,}(:\d+)?$/.test(users[users.length - 1]!), 'last stage ends as a numeric UID >= 10000');
  rule('DF-07', /useradd\b(?=.*\s(-l|--no-log-init)\b)(?=.*\s(-u|--uid)[ =]?\d{5,})(?=.*--shell\s+\/(usr\/)?sbin\/nologin)/.test(lastText), 'deterministic user without a shell');
  const healthchecks = last.lines.filter((l) => /^HEALTHCHECK\s/.test(l));
  rule('DF-08', healthchecks.length === 1 && /--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD \["python",/.test(healthchecks[0] ?? ''), 'one HEALTHCHECK with python, all timings');
  rule('DF-09', /^CMD \[/m.test(lastText) && (lastText.match(/^CMD /gm) ?? []).length === 1, 'one exec-form CMD');
  rule('DF-10', !/^ADD\s/m.test(dockerfile), 'COPY, not ADD');
  for (const run of all.flatMap((s) => s.lines).filter((l) => l.includes('apt-get'))) {
    rule('DF-11', /apt-get update && apt-get install -y --no-install-recommends [^&]+ && rm -rf \/var\/lib\/apt\/lists\/\*/.test(run), `apt hygiene: ${run}`);
  }
  for (const run of all.flatMap((s) => s.lines).filter((l) => /\bpip install\b/.test(l))) {
    const pinnedServer = /pip (--python \S+ )?install (--python \S+ )?\$\{SERVER_PACKAGES\}$/.test(run) && /^ARG SERVER_PACKAGES="(\S+==\S+ ?)+"$/m.test(dockerfile);
    rule('DF-12', /--mount=type=cache,target=\/root\/\.cache\/(pip|uv)/.test(run) && (/(-r \S+|--no-deps \/src)/.test(run) || pinnedServer), `pip cache mount and pinned source: ${run}`);
  }
  rule('DF-12', !/--trusted-host|PIP_TRUSTED_HOST|--break-system-packages/.test(dockerfile), 'no TLS or system-package bypasses');
  rule('DF-14', !/^(ARG|ENV)\s+\S*(password|passwd|secret|token|api_?key|private|access_key)/im.test(dockerfile), 'no secrets in ARG/ENV');
  rule('DF-15', all.flatMap((s) => s.lines).filter((l) => /^WORKDIR/.test(l)).every((l) => /^WORKDIR \//.test(l)) && !/(^|&&|;)\s*cd\s/m.test(dockerfile), 'absolute WORKDIR, no cd');
  rule('DF-16', !/\bsudo\b|openssh-server|EXPOSE 22\b/.test(dockerfile), 'no sudo or sshd');
  rule('DF-17', /find \/ -xdev -perm \/6000 -type f -exec chmod a-s \{\} \+/.test(lastText), 'setuid bits removed');
  rule('DF-18', !/--chown/.test(lastText), 'code stays root-owned');
  rule('DF-19', /PYTHONDONTWRITEBYTECODE=1/.test(lastText) && /PYTHONUNBUFFERED=1/.test(lastText) && /PATH="\/opt\/venv\/bin:/.test(lastText), 'Python runtime env');
  rule('DF-20', new RegExp(`^EXPOSE ${a.port}$`, 'm').test(lastText) && (lastText.includes(`"0.0.0.0:${a.port}"`) || (lastText.includes('"--host", "0.0.0.0"') && lastText.includes(`"--port", "${a.port}"`))), 'binds 0.0.0.0 on the exposed port');
  const gunicorn = a.framework === 'flask' || a.framework === 'wsgi';
  if (gunicorn) rule('DF-21', lastText.includes('"--worker-tmp-dir", "/dev/shm"'), 'gunicorn heartbeat on /dev/shm');
  rule('DF-22', !/forwarded[-_]allow[-_]ips\s*[= ]\s*['"]?\*/i.test(dockerfile), 'no wildcard proxy trust');

  // Compose
  const schema = validateCompose(compose);
  rule('CP-01', schema.valid, `schema: ${schema.errors}`);
  rule('CP-01', !('version' in compose), 'no version key');
  const longRunning = Object.entries(services).filter(([, s]) => s.restart !== 'no');
  // The front door is the one published service: the proxy when there is one, else the app.
  const frontDoor = a.proxy === 'caddy' ? 'proxy' : 'app';
  for (const [name, s] of Object.entries(services)) {
    rule('CP-02', s.privileged !== true, `${name} privileged`);
    rule('CP-03', Array.isArray(s.cap_drop) && s.cap_drop.includes('ALL'), `${name} drops all capabilities`);
    // db: what its root entrypoint needs (PG-09); proxy-init: chown of the proxy's new volume, its one job.
    const allowed = name === 'db' ? ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'] : name === 'proxy-init' ? ['CHOWN'] : [];
    rule('CP-03', (s.cap_add ?? []).every((c: string) => allowed.includes(c)), `${name} cap_add within the allow-list`);
    rule('CP-04', (s.security_opt ?? []).includes('no-new-privileges:true'), `${name} no-new-privileges`);
    rule('CP-05', !(s.security_opt ?? []).some((o: string) => /unconfined|label[:=]disable/.test(o)), `${name} keeps seccomp/apparmor`);
    rule('CP-06', s.read_only === true && (s.tmpfs ?? []).some((t: string) => t.startsWith('/tmp')), `${name} read-only with /tmp tmpfs`);
    const ownUser = name === 'redis' || (name === 'db' && a.database === 'mariadb');
    const user = ownUser ? '999:999' : name === 'proxy' ? '10080:10080' : undefined;
    rule('CP-07', s.user === user, `${name} runs as the image's non-root user`);
    const lim = s.deploy?.resources?.limits ?? {};
    rule('CP-08', typeof lim.memory === 'string', `${name} memory limit`);
    rule('CP-09', typeof lim.cpus === 'string', `${name} cpu limit`);
    rule('CP-10', Number(lim.pids) > 0, `${name} pids limit`);
    // `network_mode: none` (proxy-init, static-copy) is no network at all, not the host's.
    rule('CP-15', ['pid', 'ipc', 'uts', 'userns_mode', 'cgroup_parent'].every((k) => s[k] === undefined) && (s.network_mode === undefined || (JOBS_WITHOUT_NETWORK.includes(name) && s.network_mode === 'none')), `${name} shares no host namespace`);
    rule('CP-16', !JSON.stringify(s.volumes ?? []).includes('docker.sock'), `${name} no docker.sock`);
    rule('CP-17', s.devices === undefined && s.group_add === undefined, `${name}: devices only in the GPU override`);
    rule('CP-18', (Array.isArray(s.networks) && s.networks.length > 0) || (JOBS_WITHOUT_NETWORK.includes(name) && s.network_mode === 'none'), `${name} on named networks`);
    rule('CP-21', s.logging?.driver === 'json-file' && s.logging.options?.['max-size'] && s.logging.options?.['max-file'], `${name} log rotation`);
    const imageService = name === 'db' || name === 'redis' || name === 'proxy' || name === 'proxy-init';
    rule('CP-23', imageService ? /^\$\{[A-Z_]+_IMAGE:-[a-z]+:\d+(\.\d+){0,2}-(bookworm|noble|alpine)\}$/.test(s.image) : (s.build?.target === 'runtime' && /^[a-z0-9-]+:\$\{APP_VERSION:-\d+\.\d+\.\d+\}$/.test(s.image)), `${name} built image tagged with a version`);
    if (name !== frontDoor) rule('CP-14', s.ports === undefined, `${name} publishes nothing`);
  }
  for (const [name, s] of longRunning) {
    const hc = s.healthcheck ?? {};
    rule('CP-11', s.restart === 'unless-stopped', `${name} back after a reboot or engine restart (unless-stopped)`);
    rule('CP-12', Array.isArray(hc.test) && ['CMD', 'CMD-SHELL'].includes(hc.test[0]) && hc.interval && hc.timeout && hc.retries && hc.start_period && hc.disable !== true, `${name} healthcheck`);
    // Caddy is PID 1 through an exec-form command and stops within its own grace_period (10 s).
    if (name === 'proxy') rule('CP-22', Array.isArray(s.command) && s.command[0] === 'caddy' && parseInt(s.stop_grace_period, 10) > 10, 'proxy PID 1 and grace period');
    else if (name !== 'db' && name !== 'redis') rule('CP-22', s.init === true && parseInt(s.stop_grace_period, 10) >= 20, `${name} init and grace period`);
  }
  if (frontDoor === 'app') rule('CP-14', JSON.stringify(services.app!.ports) === JSON.stringify([`\${APP_BIND_IP:-127.0.0.1}:\${APP_PORT:-${a.port}}:${a.port}`]), 'app port on loopback by default');
  else {
    const bind = '${PROXY_BIND_IP:-127.0.0.1}';
    rule('CP-14', JSON.stringify(services.proxy!.ports) === JSON.stringify([`${bind}:\${PROXY_HTTP_PORT:-80}:80`, `${bind}:\${PROXY_HTTPS_PORT:-443}:443`, `${bind}:\${PROXY_HTTPS_PORT:-443}:443/udp`]), 'proxy ports on loopback by default');
    rule('PX-01', !JSON.stringify(compose).includes('docker.sock'), 'no Docker socket anywhere');
    const caddy = JSON.parse(fileOf(files, 'proxy/caddy.json'));
    rule('PX-02', caddy.apps.http.servers.redirect.routes[0].handle[0].status_code === 308, 'plain HTTP redirects');
    rule('PX-03', a.domains.filter((d) => !/localhost$|^[\d.]+$/.test(d)).length === 0 || JSON.stringify(caddy).includes('Strict-Transport-Security'), 'HSTS for public names');
    rule('PX-04', services.app!.ports === undefined, 'the app is not published beside the proxy');
    rule('CP-16', services.proxy!.volumes.includes('./proxy/caddy.json:/etc/caddy/caddy.json:ro'), 'config mounted read-only');
    // --static-files proxy: the volume the job fills, read-only in the proxy, served under /static/; never without it.
    const statics = a.staticFiles === 'proxy';
    const staticMount = (services.proxy!.volumes as string[]).find((v) => v.startsWith('static:'));
    rule('CP-16', statics ? staticMount === 'static:/srv/static:ro' && services['static-copy']?.depends_on === undefined && services.proxy!.depends_on['static-copy']?.condition === 'service_completed_successfully' : staticMount === undefined && services['static-copy'] === undefined, 'static volume read-only in the proxy exactly with --static-files proxy');
    rule('CP-16', JSON.stringify(caddy).includes('"file_server"') === statics && (compose.volumes?.static !== undefined) === statics, 'the proxy serves /static/ exactly with --static-files proxy');
  }
  if (a.database !== 'none' || a.worker || a.redis) rule('CP-18', compose.networks?.backend?.internal === true, 'internal backend network');
  if (a.redis) {
    const redis = services.redis!;
    rule('CP-18', JSON.stringify(redis.networks) === '["backend"]' && redis.ports === undefined, 'redis on the internal network only, never published');
    rule('CP-19', compose.secrets?.redis_password?.file === './secrets/redis_password' && JSON.stringify(redis.secrets) === '["redis_password"]', 'redis password as a file secret');
    rule('CP-19', !JSON.stringify(redis.environment ?? {}).includes('PASS') && /requirepass/.test(redis.command.join(' ')), 'requirepass from the secret, not the environment');
    rule('CP-12', /REDISCLI_AUTH=.*redis-cli .*ping/.test(redis.healthcheck.test[1]), 'redis healthcheck authenticates');
    rule('CP-13', services.app!.depends_on?.redis?.condition === 'service_healthy', 'app waits for a healthy redis');
    rule('PG-04', redis.volumes.includes('redis-data:/data') && compose.volumes['redis-data'] !== undefined, 'redis data in a named volume');
  } else {
    rule('CP-18', services.redis === undefined && compose.secrets?.redis_password === undefined, 'no redis without --redis');
  }
  // Settings: secrets reach the app only as entrypoint tokens; the entrypoint exists exactly when needed.
  const tokens = JSON.stringify(services.app!.environment ?? {}).match(/\{secret(-url)?:[a-z0-9_]+\}/g) ?? [];
  rule('CP-19', (tokens.length > 0) === files.some((f) => f.path === 'docker/entrypoint.py') && (tokens.length > 0) === /^ENTRYPOINT \["python", "\/app\/docker\/entrypoint\.py"\]$/m.test(lastText), 'entrypoint exactly when a setting reads a secret');
  for (const t of tokens) {
    const name = /:([a-z0-9_]+)\}/.exec(t)![1]!;
    rule('CP-19', compose.secrets?.[name]?.file === `./secrets/${name}` && services.app!.secrets.includes(name), `${t} is a mounted file secret`);
  }
  for (const dir of a.stateDirs) {
    const volume = services.app!.volumes?.find((v: string) => v.endsWith(`:${dir}`));
    rule('CP-06', volume !== undefined && compose.volumes[volume.split(':')[0]] !== undefined && new RegExp(`mkdir -p[^\\n]* ${dir}( |$)`, 'm').test(lastText) && lastText.includes(`chown -R 10001:10001`), `${dir} is a named volume the app user owns`);
  }
  if (a.worker) {
    rule('CP-12', services.worker!.healthcheck.test.join(' ') !== services.app!.healthcheck.test.join(' '), 'worker has its own probe');
    rule('CP-18', JSON.stringify(services.worker!.networks) === '["backend"]', 'worker on the internal network only');
  }

  // Postgres
  if (a.postgres) {
    const db = services.db!;
    rule('CP-13', services.app!.depends_on?.db?.condition === 'service_healthy', 'app waits for a healthy db');
    rule('CP-19', compose.secrets?.db_password?.file === './secrets/db_password', 'file secret');
    // Name and role are plain values (no interpolation that a project's own .env could break); every
    // interpolation in the file has a default or fails fast.
    rule('CP-20', db.environment.POSTGRES_DB === a.name.replace(/-/g, '_') && db.environment.POSTGRES_USER === a.name.replace(/-/g, '_'), 'database name and role are fixed values');
    rule('PG-01', new RegExp(`:-postgres:${a.postgresVersion}-bookworm\\}$`).test(db.image), 'pinned major');
    rule('PG-02', db.environment.POSTGRES_PASSWORD_FILE === '/run/secrets/db_password' && db.environment.POSTGRES_PASSWORD === undefined && services.app!.secrets.includes('db_password'), 'password from a file');
    rule('PG-03', db.environment.POSTGRES_HOST_AUTH_METHOD === undefined, 'no trust auth');
    rule('PG-04', db.volumes.includes(`db-data:${postgresDataPath(a.postgresVersion)}`) && compose.volumes['db-data'] !== undefined, 'data path for the major');
    rule('PG-05', /pg_isready -h 127\.0\.0\.1/.test(db.healthcheck.test[1]) && db.healthcheck.test[1].includes('$${'), 'TCP probe, $$-escaped');
    rule('PG-06', db.ports === undefined && JSON.stringify(db.networks) === '["backend"]', 'not published');
    rule('PG-07', db.shm_size === '128mb', 'shm size');
    rule('PG-08', parseInt(db.stop_grace_period, 10) >= 30, 'grace period');
    rule('PG-09', (db.tmpfs as string[]).includes('/var/run/postgresql'), 'tmpfs for the socket dir');
    if (a.migrations !== 'none') {
      rule('CP-13', services.app!.depends_on?.migrate?.condition === 'service_completed_successfully', 'app waits for migrations');
      rule('CP-13', services.migrate!.depends_on?.db?.condition === 'service_healthy', 'migrations wait for the db');
    }
  } else if (a.database === 'mariadb') {
    bad.push(...mariadbViolations(a, compose, lastText));
  } else {
    rule('PG-06', services.db === undefined && compose.secrets?.db_password === undefined, 'no db without --postgres');
  }

  // Django: collectstatic in a stage of its own whose throw-away settings never reach the runtime image.
  if (a.framework === 'django') {
    const staticStage = all.find((s) => s.name === 'static');
    rule('DJ', a.collectStatic === (staticStage !== undefined), 'a static stage exactly with collectstatic');
    if (staticStage) {
      const run = staticStage.lines.find((l) => l.startsWith('RUN '));
      // The settings are imported with the app's environment; collectstatic runs when they set STATIC_ROOT.
      rule('DJ', /manage\.py shell -c '.*call_command\("collectstatic", interactive=False\) if s\.STATIC_ROOT else .*'$/.test(run ?? ''), `collectstatic runs in the static stage: ${run}`);
      for (const name of a.env.filter((e) => e.includes('{secret.')).map((e) => e.split('=')[0])) {
        rule('DF-14', (run ?? '').includes(`${name}=build-only-not-a-secret`), `${name} gets a throw-away value at build time`);
      }
      rule('DF-14', !dockerfile.split(/^FROM .* AS runtime$/m)[1]!.includes('build-only-not-a-secret'), 'no build-time setting in the runtime stage');
      rule('DF-05', /COPY --from=static \/app \/app/.test(lastText) && !/^COPY \. /m.test(lastText), 'runtime copies code and static files from the static stage');
    }
    if (a.migrations === 'django') rule('CP-13', JSON.stringify(services.migrate!.command) === '["python","manage.py","migrate","--noinput"]', 'manage.py migrate --noinput as the migrate service');
  }

  // GPU override
  const gpuFile = files.find((f) => f.path === 'docker-compose.gpu.yml');
  rule('CP-17', (a.gpu === 'none') === (gpuFile === undefined), 'GPU override exactly when asked for');
  if (gpuFile) {
    const gpu = parseYaml(gpuFile.content) as Record<string, any>;
    const wanted = a.gpuServices.split(',');
    rule('CP-17', JSON.stringify(Object.keys(gpu.services)) === JSON.stringify(wanted), `override for exactly ${a.gpuServices}`);
    rule('CP-17', wanted.every((name) => services[name] !== undefined), `${a.gpuServices} exist in the base file`);
    const merged = { ...compose, services: { ...services, ...Object.fromEntries(wanted.map((name) => [name, { ...services[name], ...gpu.services[name] }])) } };
    rule('CP-01', validateCompose(gpu).valid && validateCompose(merged).valid, 'override validates');
    for (const name of wanted) {
      const s = gpu.services[name] ?? {};
      if (a.gpu === 'render') {
        rule('CP-17', JSON.stringify(s.devices) === '["/dev/dri:/dev/dri"]' && /^\$\{RENDER_GID:\?/.test(s.group_add?.[0]), `${name}: DRM device and numeric render GID`);
      } else {
        rule('CP-17', s.deploy?.resources?.reservations?.devices?.[0]?.driver === 'nvidia', `${name}: NVIDIA reservation`);
      }
    }
  }

  // .env.example
  const env = fileOf(files, '.env.example');
  const envKeys = [...env.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]);
  const used = new Set<string>();
  for (const f of files.filter((x) => /^docker-compose.*\.yml$/.test(x.path))) {
    for (const m of f.content.replace(/\$\$/g, '').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)) used.add(m[1]!);
  }
  for (const f of files.filter((x) => /^docker-compose.*\.yml$/.test(x.path))) {
    for (const m of f.content.replace(/\$\$/g, '').matchAll(/\$\{([A-Z_][A-Z0-9_]*)([^}]*)\}/g)) {
      rule('CP-20', m[2]!.startsWith(':-') || m[2]!.startsWith(':?'), `\${${m[1]}} has a default or fails fast in ${f.path}`);
    }
  }
  rule('EV-01', JSON.stringify([...used].sort()) === JSON.stringify([...envKeys].sort()), `keys ${[...used].sort()} vs ${[...envKeys].sort()}`);
  rule('EV-02', !/^[A-Z_]*(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE)[A-Z_]*=./m.test(env), 'no secrets');
  rule('EV-03', env.split('\n').every((l) => /^(\s*#.*|[A-Z_][A-Z0-9_]*=("[^"]*"|'[^']*'|[^\s#'"]*)?)?$/.test(l)), 'parser-safe');
  rule('EV-04', new RegExp(`^${a.proxy === 'caddy' ? 'PROXY' : 'APP'}_BIND_IP=127\\.0\\.0\\.1$`, 'm').test(env) && (a.gpu !== 'render' || /^RENDER_GID=$/m.test(env)), 'safe defaults');

  // ignore files
  const dockerignore = fileOf(files, '.dockerignore').split('\n');
  for (const p of ['**/.git', '**/.env', '**/.env.*', 'secrets/', '**/*.pem', '**/*.key', '**/__pycache__', '**/*.py[cod]', '**/.venv', '**/venv', '**/.pytest_cache', '**/.mypy_cache', '**/node_modules', '**/Dockerfile*', '**/docker-compose*', '**/compose.y*ml', '**/.dockerignore']) {
    rule('DI-01', dockerignore.includes(p), `.dockerignore has ${p}`);
  }
  rule('DI-02', dockerignore.filter((l) => l.startsWith('!')).join() === '!.env.example', 'only .env.example is re-included');
  const gitignore = fileOf(files, '.gitignore').split('\n');
  rule('EV-05', gitignore.includes('.env') && gitignore.includes('secrets/'), '.gitignore keeps .env and secrets out');

  // Scripts
  const scripts = files.filter((f) => f.path.startsWith('scripts/'));
  const expected = ['lib', 'up', 'down', 'logs', 'smoke-test', 'install-boot', ...(a.database !== 'none' ? ['backup-db', 'restore-db'] : []), ...(a.stateDirs.length > 0 ? ['backup-state'] : []), ...(a.proxy === 'caddy' ? ['deploy'] : []), 'deploy-swarm', 'deploy-k8s', ...(a.registry ? ['push'] : []), 'dev'].map((n) => `scripts/${n}.sh`);
  rule('SH-00', JSON.stringify(scripts.map((s) => s.path).sort()) === JSON.stringify(expected.sort()), 'the scripts for these answers');
  for (const s of scripts) {
    rule('SH-01', s.content.startsWith('#!/usr/bin/env bash\n') && s.mode === 0o755, `${s.path} shebang and mode`);
    const firstCommand = s.content.split('\n').find((l) => l.trim() && !l.startsWith('#'));
    rule('SH-02', firstCommand === 'set -Eeuo pipefail', `${s.path} strict mode first`);
    rule('SH-04', s.content.includes("IFS=$'\\n\\t'"), `${s.path} IFS`);
    rule('SH-08', !/\bdocker-compose\s+(up|down|build|logs|exec)|\bwhich\b/.test(s.content), `${s.path} compose v2 only`);
    rule('SH-09', !/\beval\b|\bsudo\b|chmod\s+(-R\s+)?0?777|\|\s*(ba)?sh\b/.test(s.content), `${s.path} no dangerous constructs`);
    if (s.path !== 'scripts/lib.sh') {
      rule('SH-03', /^trap '[^']*' ERR$/m.test(s.content), `${s.path} ERR trap`);
      rule('SH-07', /^cd "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/\.\." \|\| exit 1$/m.test(s.content), `${s.path} runs from any directory`);
      rule('SH-00', /--help\)/.test(s.content), `${s.path} has --help`);
    }
  }
  const up = fileOf(files, 'scripts/up.sh');
  rule('SH-11', /up -d --wait --wait-timeout/.test(up), 'up waits for health');
  const lib = fileOf(files, 'scripts/lib.sh');
  const secretNames = Object.keys(compose.secrets ?? {}).sort();
  if (secretNames.length > 0) {
    rule('SH-10', /umask 077[\s\S]*\/dev\/urandom[\s\S]*chmod 0444/.test(lib) && /-s "\$\{file\}"/.test(lib), 'secrets made privately, once');
    rule('SH-10', lib.includes(`readonly SECRET_NAMES=(${secretNames.join(' ')})`), `the scripts create every secret compose reads: ${secretNames}`);
  }
  if (a.database !== 'none') {
    rule('SH-11', /read -r -p/.test(fileOf(files, 'scripts/restore-db.sh')), 'confirmation reads with -r');
  }
  if (a.gpu === 'render') rule('CP-17', /getent group render/.test(fileOf(files, 'scripts/lib.sh')), 'up detects the render GID');
  if (a.gpu !== 'none') {
    const who = a.gpuServices.split(',').map((n) => `the ${n}`).join(' and ');
    rule('CP-17', fileOf(files, 'scripts/lib.sh').includes(`GPU for ${who}:`) && fileOf(files, 'README.Docker.md').includes(`GPU access for ${who},`), `scripts and README say the GPU goes to ${who}`);
  }

  // No HTML escaping anywhere.
  for (const f of files) rule('ESC', !/&#x|&amp;|&quot;|&lt;|&gt;/.test(f.content), `${f.path} has HTML entities`);
  return bad;
}

describe(`the render matrix (${combos.length} combinations)`, () => {
  const rendered = combos.map((a) => ({ a, files: renderProject(a) }));

  it('covers every framework, dependency source, migration and GPU choice with and without Postgres and a worker', () => {
    const seen = (f: (a: Answers) => string) => new Set(combos.map(f)).size;
    expect(seen((a) => `${a.framework}/${a.deps}/${a.database}/${a.migrations}/${Boolean(a.worker)}/${a.gpu}`)).toBe(combos.length);
    // MariaDB: every framework, source, migration and worker choice, without the GPU variants.
    expect(combos.length).toBe(5 * 3 * (1 + 4) * 2 * 3 + 5 * 3 * 4 * 2);
    // A worker stack gives the GPU to the app, the worker or both, for each kind of GPU.
    expect(seen((a) => (a.worker && a.gpu !== 'none' ? `${a.gpu}/${a.gpuServices}` : 'other'))).toBe(1 + 2 * 3);
  });

  it('meets every applicable checklist rule, by rule id, for every combination', () => {
    const failures = rendered.flatMap(({ a, files }) => violations(a, files).map((v) => `${label(a)} ${v}`));
    expect(failures).toEqual([]);
  });

  describe('scripts pass shellcheck -S style with the SH-06 optional checks (SH-05, SH-06)', () => {
    const work = tempDir('pyimage-shellcheck-');
    afterAll(() => work.cleanup());
    // Scripts depend on few answers: check each distinct script set once.
    const distinct = new Map<string, RenderedFile[]>();
    for (const { files } of rendered) {
      const scripts = files.filter((f) => f.path.startsWith('scripts/'));
      const key = createHash('sha256').update(scripts.map((s) => s.path + s.content).join('\0')).digest('hex');
      distinct.set(key, scripts);
    }
    it(`${distinct.size} distinct script sets are clean`, async () => {
      const problems: string[] = [];
      const sets = [...distinct.values()].map((scripts, n) => {
        const dir = join(work.dir, String(n));
        mkdirSync(join(dir, 'scripts'), { recursive: true });
        for (const s of scripts) writeFileSync(join(dir, s.path), s.content, { mode: s.mode });
        return { dir, scripts };
      });
      // Asynchronous, two at a time (two cores): a long synchronous loop would starve the test
      // worker's event loop, and vitest's own RPC to it times out.
      const check = async ({ dir, scripts }: (typeof sets)[number]) => {
        const r = await execa('shellcheck', ['-x', '-S', 'style', '-o', SH06_OPTIONAL_CHECKS, '-f', 'gcc', ...scripts.map((s) => s.path)], { cwd: dir, reject: false });
        if (r.exitCode !== 0) problems.push(String(r.stdout || r.stderr));
      };
      const queue = [...sets];
      await Promise.all([0, 1].map(async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await check(next);
      }));
      expect(problems).toEqual([]);
    }, 900_000); // ~90 sets x 9 scripts that each follow lib.sh: 3-7 s a set on a busy 2-core machine
  });
});
