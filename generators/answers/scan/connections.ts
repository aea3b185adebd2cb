/**
 * Database connections made once, at import: `conn = psycopg2.connect(...)` at module level, or
 * `engine.connect()` held from import on. Such a connection dies with a database restart and the
 * app never opens another; smoke names these lines when it restarts the database.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atModuleOrClassLevel, PyFile } from './python.js';
import { moduleName, projectPythonFiles } from './files.js';

export interface ImportConnection {
  file: string;
  line: number;
  /** What is called, as imported: `psycopg2.connect`, `sqlalchemy.create_engine().connect`. */
  call: string;
}

/** Driver-level connects, and SQLAlchemy's Engine.connect() on an engine made in the same file. */
const CONNECT = /^(psycopg2|psycopg|psycopg\.Connection|pymysql|MySQLdb|mysql\.connector|asyncpg|pg8000|sqlalchemy\.create_engine\(\))\.connect$/;
/** Alembic and Django migrations run in their own one-shot process, not in the server. */
const MIGRATIONS = /(^|\/)(migrations|alembic)\//;

export function connectionsAtImport(projectDir: string): ImportConnection[] {
  const found: ImportConnection[] = [];
  for (const rel of projectPythonFiles(projectDir)) {
    if (MIGRATIONS.test(rel)) continue;
    let src: string;
    try {
      src = readFileSync(join(projectDir, rel), 'utf8');
    } catch {
      continue;
    }
    if (!/connect\s*\(/.test(src)) continue;
    const file = new PyFile(rel, moduleName(rel), src);
    file.tree.iterate({
      enter: (ref) => {
        if (ref.name !== 'CallExpression') return;
        const call = file.callee(ref.node);
        if (!call || !CONNECT.test(call)) return;
        const statement = ref.node.parent;
        if (statement && atModuleOrClassLevel(statement)) found.push({ file: rel, line: file.line(ref.node), call });
      },
    });
  }
  return found;
}
