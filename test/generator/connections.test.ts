/** Database connections made once at import: smoke names them when it restarts the database (issue 21). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionsAtImport } from '../../generators/answers/scan/connections.js';
import { tempDir } from '../helpers.js';

const tmp = tempDir('pyimage-connect-');
afterAll(() => tmp.cleanup());

function project(name: string, files: Record<string, string>): string {
  const dir = join(tmp.dir, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('connectionsAtImport', () => {
  it('names a driver connection made at module level, with its line, through import aliases', () => {
    const dir = project('once', {
      'app/db.py': 'import os\nimport psycopg2 as pg\n\nconn = pg.connect(os.environ["DATABASE_URL"])\n',
      'app/other.py': 'from pymysql import connect\nDB = connect(host="db")\n',
    });
    expect(connectionsAtImport(dir)).toEqual([
      { file: 'app/db.py', line: 4, call: 'psycopg2.connect' },
      { file: 'app/other.py', line: 2, call: 'pymysql.connect' },
    ]);
  });

  it('names a SQLAlchemy connection held from import on', () => {
    const dir = project('held', { 'main.py': 'from sqlalchemy import create_engine\nengine = create_engine("postgresql://db/app")\nconn = engine.connect()\n' });
    expect(connectionsAtImport(dir)).toEqual([{ file: 'main.py', line: 3, call: 'sqlalchemy.create_engine().connect' }]);
  });

  it('leaves alone connections per request, engines with a pool, and migrations', () => {
    const dir = project('fine', {
      'app/__init__.py': [
        'import psycopg2',
        'from sqlalchemy import create_engine',
        'engine = create_engine("postgresql://db/app", pool_pre_ping=True)',
        '',
        'def items():',
        '    with psycopg2.connect("dbname=app") as conn:',
        '        return conn',
        '',
        'def count():',
        '    with engine.connect() as conn:',
        '        return conn',
        '',
      ].join('\n'),
      'migrations/env.py': 'from sqlalchemy import create_engine\nwith create_engine("postgresql://db").connect() as c:\n    pass\n',
    });
    expect(connectionsAtImport(dir)).toEqual([]);
  });
});
