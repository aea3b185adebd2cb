/**
 * MariaDB on a real engine (issue 20): two projects in the patterns public Flask and Django projects
 * use, detected as MySQL apps from their drivers, generated with only what a user would type,
 * proven with `smoke --json`; then the Flask stack is started with scripts/up.sh, its RQ worker
 * does a job, and scripts/backup-db.sh / restore-db.sh round-trip a row. Offline: the MariaDB
 * stand-in and the index from test/e2e/infra/setup.sh.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, imageTrail, leftoversOf, removeImage, requireBuiltCli, type E2EEnv } from './engine.js';
import { cleanEnv, cli, generateIn, expectNothingLeft, expectPassed, fromFixture, MINUTE, smokeJson, standIns, step, workDir, type TimedSmoke, freePort } from './harness.js';

let e2e: E2EEnv;
const work = workDir('pyimage-mariadb-');
const report: string[] = [];
const images = new Set<string>();
/** The stand-in index carries Debian's gunicorn, not the version the image pins for PyPI. */
const STAND_IN_GUNICORN = { SERVER_PACKAGES: 'gunicorn==20.1.0' };

const generate = (dir: string, name: string, flags: string[]) => generateIn(e2e, dir, name, flags);

/** smoke --json on the stand-ins; MARIADB_IMAGE reaches compose from the environment, as for a user. */
async function smoke(label: string, dir: string, env: Record<string, string> = {}): Promise<TimedSmoke> {
  const run = await smokeJson(['smoke', dir, '--json', ...standIns(e2e, { redis: true })], { MARIADB_IMAGE: e2e.mariadbImage, ...env });
  if (run.result.tag) images.add(run.result.tag);
  report.push(`  ${label.padEnd(44)} ${String(run.seconds).padStart(6)}s  ${(run.result.size / 1e6).toFixed(1).padStart(7)} MB`);
  return run;
}


/** The password file a generated stack made: never in compose, the image or its history. */
async function expectPasswordKept(dir: string, imageId: string): Promise<void> {
  const trail = await imageTrail(imageId);
  for (const name of ['db_password', 'db_root_password']) {
    const secret = readFileSync(join(dir, 'secrets', name), 'utf8').trim();
    expect(secret.length).toBeGreaterThan(20);
    expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).not.toContain(secret);
    expect(trail).not.toContain(secret);
  }
}

beforeAll(async () => {
  e2e = await ensureEngine();
  requireBuiltCli();
}, 35 * MINUTE);

afterAll(async () => {
  for (const image of images) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
  if (report.length > 0) console.log(`\nMariaDB on a real engine (wall time, app image size):\n${report.join('\n')}\n`);
}, 5 * MINUTE);

describe.sequential('MariaDB stacks on a real engine', () => {
  let flaskDir = '';

  it('(1) Flask-SQLAlchemy on PyMySQL (DATABASE_URL), Flask-Migrate, an RQ worker on Redis: healthy, the health route reads MariaDB', async () => {
    flaskDir = fromFixture(work, 'test/fixtures/e2e-flask-mariadb-rq', 'flask-mariadb');
    const said = await generate(flaskDir, 'e2e-md-flask', ['--worker', 'rq worker notes-tasks', '--env', 'RQ_REDIS_URL={redis.url}']);
    // Detection: PyMySQL in requirements.txt means a MariaDB service, and the URL names that driver.
    expect(said).toContain('MySQL driver pymysql: adding a MariaDB service');
    expect(said).toMatch(/DATABASE_URL = \{db\.url\}/);
    const compose = readFileSync(join(flaskDir, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('DATABASE_URL: mysql+pymysql://e2e_md_flask:{secret-url:db_password}@db:3306/e2e_md_flask');
    expect(compose).toContain('MARIADB_PASSWORD_FILE: /run/secrets/db_password');
    // PyMySQL is pure Python: no MariaDB client library in either stage.
    expect(readFileSync(join(flaskDir, 'Dockerfile'), 'utf8')).not.toMatch(/libmariadb|mysqlclient/);

    const run = await smoke('(1) flask + pymysql + rq worker', flaskDir);
    expectPassed(run);
    expect(step(run.result, 'every service healthy').detail).toMatch(/db running \(healthy\)/);
    expect(step(run.result, 'migration exited 0').detail).toMatch(/exited 0/);
    expect(step(run.result, 'database answers').detail).toBe('select 1 -> 1 (password from the secret, over TCP)');
    expect(step(run.result, 'worker running').ok).toBe(true);
    // The health route counts rows of the table the migration made, through SQLAlchemy's mysql dialect.
    expect(step(run.result, 'health probe').detail).toMatch(/\/health -> 200 \{"backend":"mysql","notes":0,"status":"ok"\}/);
    await expectPasswordKept(flaskDir, run.result.imageId);
    await expectNothingLeft(run.result.project);
  }, 25 * MINUTE);

  it('(1b) the same stack with scripts/up.sh: the worker does a job, backup-db.sh and restore-db.sh round-trip a row', async () => {
    expect(flaskDir).not.toBe('');
    const port = await freePort();
    const env = {
      ...cleanEnv,
      PYTHON_IMAGE: e2e.pythonImage,
      MARIADB_IMAGE: e2e.mariadbImage,
      REDIS_IMAGE: e2e.redisImage,
      PIP_INDEX_URL: e2e.indexUrl,
      BUILD_NETWORK: 'host',
      APP_PORT: String(port),
    };
    const sh = (script: string, args: string[] = []) => execa('bash', [join(flaskDir, 'scripts', script), ...args], { env, reject: false, stdin: 'ignore', timeout: 15 * MINUTE });
    const base = `http://127.0.0.1:${port}`;
    const getJson = async (path: string) => (await fetch(`${base}${path}`)).json() as Promise<unknown>;
    try {
      const up = await sh('up.sh', ['--timeout', '240']);
      expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);

      const created = await fetch(`${base}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'kept by the backup' }) });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: number };
      // The RQ worker picks the job from Redis and writes the count back into MariaDB.
      let note: { words: number | null } = { words: null };
      for (let i = 0; i < 60 && note.words === null; i++) {
        await new Promise((r) => setTimeout(r, 500));
        note = (await getJson(`/notes/${id}`)) as { words: number | null };
      }
      expect(note).toEqual({ id, text: 'kept by the backup', words: 4 });

      const backup = await sh('backup-db.sh');
      expect(backup.exitCode, String(backup.stderr)).toBe(0);
      const dumps = readdirSync(join(flaskDir, 'backups')).filter((f) => f.endsWith('.sql.gz'));
      expect(dumps).toHaveLength(1);
      // The password never appears in the dump, and the dump holds the row.
      const sql = (await execa('gzip', ['-dc', join(flaskDir, 'backups', dumps[0]!)])).stdout;
      expect(sql).toContain('kept by the backup');
      expect(sql).not.toContain(readFileSync(join(flaskDir, 'secrets', 'db_password'), 'utf8').trim());

      const later = await fetch(`${base}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'written after the backup' }) });
      expect(later.status).toBe(201);
      expect(((await getJson('/notes')) as unknown[]).length).toBe(2);

      const restore = await sh('restore-db.sh', ['--yes', join(flaskDir, 'backups', dumps[0]!)]);
      expect(restore.exitCode, String(restore.stderr)).toBe(0);
      expect(await getJson('/notes')).toEqual([{ id, text: 'kept by the backup', words: 4 }]);
    } finally {
      const down = await sh('down.sh', ['--volumes', '--yes']);
      expect(down.exitCode, String(down.stderr)).toBe(0);
    }
    images.add('e2e-md-flask:0.1.0');
    expect(await leftoversOf('e2e-md-flask')).toEqual([]);
  }, 25 * MINUTE);

  it('(2) Django on mysqlclient (dj-database-url, mysql://) with migrations: the client library in the builder only, a page lists the seeded rows', async () => {
    const dir = fromFixture(work, 'test/fixtures/e2e-django-mariadb', 'django-mariadb');
    const said = await generate(dir, 'e2e-md-django', ['--health-path', '/books/']);
    expect(said).toContain('MySQL driver mysqlclient: adding a MariaDB service');
    const compose = readFileSync(join(dir, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('DATABASE_URL: mysql://e2e_md_django:{secret-url:db_password}@db:3306/e2e_md_django');
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    const [builder, runtime] = dockerfile.split('AS runtime');
    expect(builder).toMatch(/apt-get install -y --no-install-recommends .*default-libmysqlclient-dev/);
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends libmariadb3/);
    expect(runtime).not.toContain('libmysqlclient-dev');

    const run = await smoke('(2) django + mysqlclient + migrations', dir, STAND_IN_GUNICORN);
    expectPassed(run);
    expect(step(run.result, 'migration exited 0').detail).toMatch(/library\.0002_seed_books\.\.\. OK/);
    expect(step(run.result, 'database answers').ok).toBe(true);
    expect(step(run.result, 'django check --deploy').ok).toBe(true);
    expect(step(run.result, 'health probe').detail).toMatch(/\/books\/ -> 200 .*backend: mysql.*Dune \(1965\).*Neuromancer \(1984\)/s);
    await expectPasswordKept(dir, run.result.imageId);
    await expectNothingLeft(run.result.project);
  }, 25 * MINUTE);
});
