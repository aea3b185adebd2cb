/**
 * `--database mariadb` as a user meets it: detection from the driver in the dependencies, the
 * `{db.*}` placeholders and the URL scheme that follows the driver, the flags' errors, and the files
 * it writes (the engine proof is test/e2e/mariadb.e2e.test.ts).
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { detectProject } from '../../generators/answers/detect.js';
import { renderProject } from '../../generators/render/index.js';
import { answersFor } from '../../generators/render/matrix.js';
import { repoRoot, runCli, tempDir } from '../helpers.js';

const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', name);
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function copyOf(name: string): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dir = join(t.dir, 'svc');
  cpSync(fixture(name), dir, { recursive: true });
  return dir;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function composeOf(files: { path: string; content: string }[]): any {
  return parseYaml(files.find((f) => f.path === 'docker-compose.yml')!.content);
}

describe('detection', () => {
  it('PyMySQL in requirements.txt: a MariaDB service and the PyMySQL driver', () => {
    const d = detectProject(fixture('e2e-flask-mariadb-rq'));
    expect(d.answers).toMatchObject({ framework: 'flask', database: 'mariadb', mysqlDriver: 'pymysql' });
    expect(d.answers.postgres).toBeUndefined();
    expect(d.notes.join('\n')).toContain('MySQL driver pymysql: adding a MariaDB service');
  });

  it('mysqlclient: MariaDB, with the client headers in the builder and libmariadb3 at run time', () => {
    const d = detectProject(fixture('e2e-django-mariadb'));
    expect(d.answers).toMatchObject({ framework: 'django', database: 'mariadb', mysqlDriver: 'mysqlclient' });
    expect(d.notes.join('\n')).toMatch(/mysqlclient: adding a MariaDB service; the MariaDB client headers in the builder and libmariadb3 at run time/);
  });
});

describe('{db.url} follows the driver', () => {
  it.each([
    ['flask', 'app:create_app()', 'pymysql', 'mysql+pymysql'],
    ['flask', 'app:create_app()', 'mysqlclient', 'mysql'],
    // dj-database-url knows mysql:// only, whichever driver stands behind Django's backend.
    ['django', 'mysite.wsgi:application', 'pymysql', 'mysql'],
    ['django', 'mysite.wsgi:application', 'mysqlclient', 'mysql'],
  ] as const)('%s + %s -> %s://', (framework, appModule, mysqlDriver, _scheme) => {
    const scheme = _scheme as string;
    const compose = composeOf(renderProject(answersFor({ framework, appModule, database: 'mariadb', mysqlDriver, env: ['DATABASE_URL={db.url}', 'DB_HOST={db.host}', 'DB_PORT={db.port}', 'DB_PASS={db.password}'] })));
    const env = compose.services.app.environment;
    expect(env.DATABASE_URL).toBe(`${scheme}://demo_service:{secret-url:db_password}@db:3306/demo_service`);
    expect([env.DB_HOST, env.DB_PORT, env.DB_PASS]).toEqual(['db', '3306', '{secret:db_password}']);
    // The app reads its own password, never root's.
    expect(compose.services.app.secrets).toEqual(['db_password']);
    expect(compose.services.db.secrets).toEqual(['db_password', 'db_root_password']);
  });
});

describe('the files', () => {
  it('PyMySQL needs no system packages; mysqlclient builds against the headers and runs with libmariadb3 only', () => {
    const dockerfile = (mysqlDriver: 'pymysql' | 'mysqlclient') =>
      renderProject(answersFor({ framework: 'flask', appModule: 'app:create_app()', database: 'mariadb', mysqlDriver })).find((f) => f.path === 'Dockerfile')!.content;
    expect(dockerfile('pymysql')).not.toMatch(/libmariadb|libmysqlclient|pkg-config/);
    const [builder, runtime] = dockerfile('mysqlclient').split('AS runtime');
    expect(builder).toMatch(/install -y --no-install-recommends gcc libc6-dev pkg-config default-libmysqlclient-dev/);
    expect(runtime).toMatch(/install -y --no-install-recommends libmariadb3\b/);
    expect(runtime).not.toMatch(/-dev\b|gcc/);
  });

  it('backup and restore use mariadb-dump and the client, the password from the secret file inside the container', () => {
    const files = renderProject(answersFor({ database: 'mariadb', migrations: 'alembic' }));
    const backup = files.find((f) => f.path === 'scripts/backup-db.sh')!.content;
    const restore = files.find((f) => f.path === 'scripts/restore-db.sh')!.content;
    expect(backup).toContain('MYSQL_PWD="$(cat /run/secrets/db_password)" exec mariadb-dump --host=127.0.0.1');
    expect(backup).toContain('--single-transaction');
    expect(restore).toContain('gzip -dc -- "${dump}" | "${COMPOSE[@]}" exec -T db sh -c \'MYSQL_PWD="$(cat /run/secrets/db_password)" exec mariadb ');
    for (const script of [backup, restore]) {
      expect(script).not.toMatch(/pg_dump|pg_restore|POSTGRES_/);
      // Never on a command line: no -p<password> / --password= argument.
      expect(script).not.toMatch(/ -p"?\$|--password[= ]/);
    }
    expect(readFileSync(join(repoRoot, 'templates', 'scripts', 'backup-db.sh.hbs'), 'utf8')).toContain('pg_dump');
  });
});

describe('the command line', () => {
  it('--database mariadb --mysql-driver mysqlclient writes a MariaDB stack (no Postgres) whose image is the MARIADB_IMAGE variable', async () => {
    const dir = copyOf('e2e-flask-mariadb-rq');
    const r = await runCli([dir, '--yes', '--database', 'mariadb', '--mysql-driver', 'mysqlclient', '--worker', 'rq worker notes-tasks'], { env: { XDG_CACHE_HOME: join(dir, '..', 'cache') } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/audit: 0 findings/);
    const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'));
    expect(compose.services.db.image).toBe('${MARIADB_IMAGE:-mariadb:11.4-noble}');
    expect(compose.services.app.environment.DATABASE_URL).toMatch(/^mysql:\/\//);
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toMatch(/\nMARIADB_IMAGE=mariadb:11\.4-noble\n/);
    expect(JSON.parse(readFileSync(join(dir, '.create-pyimage.json'), 'utf8')).answers).toMatchObject({ database: 'mariadb', postgres: false, mysqlDriver: 'mysqlclient' });
  });

  it.each([
    ['--database mariadb with --postgres', ['--database', 'mariadb', '--postgres'], /database: --database mariadb and --postgres disagree; give one of them/],
    ['an unknown database', ['--database', 'oracle'], /database: "oracle" is not allowed; choose one of: none, postgres, mariadb/],
    ['an unknown driver', ['--database', 'mariadb', '--mysql-driver', 'mysql-connector'], /mysql-driver: "mysql-connector" is not allowed; choose one of: pymysql, mysqlclient/],
  ])('%s: exit 2, nothing written', async (_what, args, message) => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dir = join(t.dir, 'svc');
    const r = await runCli([dir, '--yes', '--framework', 'flask', ...args]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'docker-compose.yml'))).toBe(false);
  });
});
