/**
 * What the option table (schema.ts) allows: the choice lists, and the parsers that turn a raw value
 * (a flag, a YAML value, a prompt's answer) into the typed answer or throw AnswerError naming the
 * field and the fix.
 */
import { splitCommand } from './shell-words.js';
import { AnswerError } from './errors.js';

export interface Choice {
  value: string;
  name: string;
  hint: string;
}

export const NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
/** `pkg.module:attr`, or a factory call with simple literal arguments: `pkg:create_app()`, `app:create_app("prod")`. */
export const APP_MODULE_RE = new RegExp(`^${IDENT}(?:\\.${IDENT})*:${IDENT}(?:\\((?:[A-Za-z0-9_., =-]|"[A-Za-z0-9_., =-]*"|'[A-Za-z0-9_., =-]*')*\\))?$`);
export const HEALTH_PATH_RE = /^\/[A-Za-z0-9._~/-]*$/;
export const REL_PATH_RE = /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/;
export const CPUS_RE = /^\d+(?:\.\d+)?$/;
export const MEMORY_RE = /^(\d+)([kmg])$/i;
/** A registry host (optional port) and path, as image references allow: lowercase, no tag. */
export const REGISTRY_RE = /^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*)(?::\d{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function describe(raw: unknown): string {
  return typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
}

export function asString(field: string, raw: unknown): string {
  if (typeof raw === 'number') return String(raw);
  if (typeof raw !== 'string') throw new AnswerError(field, `expected text, got ${describe(raw)}`);
  return raw.trim();
}

export function parseBoolean(field: string, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (['true', 'yes', 'y', '1', 'on'].includes(text)) return true;
  if (['false', 'no', 'n', '0', 'off'].includes(text)) return false;
  throw new AnswerError(field, `expected true or false, got ${describe(raw)}`);
}

export function parseChoice(field: string, raw: unknown, choices: Choice[]): string {
  const text = asString(field, raw).toLowerCase();
  const found = choices.find((c) => c.value === text);
  if (!found) {
    throw new AnswerError(field, `${describe(raw)} is not allowed; choose one of: ${choices.map((c) => c.value).join(', ')}`);
  }
  return found.value;
}

/** Rejects control characters (newlines, tabs, NUL) that would break out of any file we write. */
export function rejectControl(field: string, text: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new AnswerError(field, 'must be a single line without control characters (newlines, tabs)');
  }
}

export function parseCommand(field: string, raw: unknown, allowEmpty: boolean): string {
  if (raw === false || raw === null) return '';
  const text = asString(field, raw);
  rejectControl(field, text);
  if (text === '') {
    if (allowEmpty) return '';
    throw new AnswerError(field, 'a command is required, e.g. "python -m app.worker"');
  }
  if (text.length > 500) throw new AnswerError(field, 'is longer than 500 characters');
  try {
    splitCommand(text);
  } catch (error) {
    throw new AnswerError(field, `${(error as Error).message} (write it as you would type it in a shell, e.g. "python -m app.worker --queue 'high prio'")`);
  }
  return text;
}

/** Services built from our image that can be given the GPU; order here is the canonical order. */
export const GPU_SERVICES = ['app', 'worker'] as const;

/** "app,worker" (or a YAML list) -> the canonical comma-separated list, or AnswerError naming gpu-services. */
export function parseGpuServices(raw: unknown): string {
  const items = Array.isArray(raw) ? raw.map((item) => asString('gpu-services', item)) : asString('gpu-services', raw).split(',');
  const names = items.map((item) => item.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((n) => !(GPU_SERVICES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new AnswerError('gpu-services', `${describe(unknown.join(','))} is not allowed; give ${GPU_SERVICES.join(' and/or ')}, comma-separated (e.g. "app,worker")`);
  }
  if (names.length === 0) throw new AnswerError('gpu-services', 'name at least one service (app, worker), or use --gpu none');
  return GPU_SERVICES.filter((s) => names.includes(s)).join(',');
}

export const PYTHON_VERSIONS = ['3.10', '3.11', '3.12', '3.13'] as const;
/** The database services: each is a module of the stack (generators/stack/modules). */
export const DATABASES: Choice[] = [
  { value: 'none', name: 'None', hint: '' },
  { value: 'postgres', name: 'Postgres', hint: 'official postgres image' },
  { value: 'mariadb', name: 'MariaDB', hint: 'official mariadb image (MySQL-compatible)' },
];
export const MYSQL_DRIVERS: Choice[] = [
  { value: 'pymysql', name: 'PyMySQL', hint: 'pure Python: {db.url} is mysql+pymysql:// (mysql:// for Django)' },
  { value: 'mysqlclient', name: 'mysqlclient', hint: 'MySQLdb, built against libmariadb: {db.url} is mysql://' },
];
export const POSTGRES_VERSIONS = [13, 14, 15, 16, 17, 18] as const;

export const FRAMEWORKS: Choice[] = [
  { value: 'fastapi', name: 'FastAPI on uvicorn', hint: 'ASGI, served by uvicorn' },
  { value: 'flask', name: 'Flask on gunicorn', hint: 'WSGI, served by gunicorn' },
  { value: 'asgi', name: 'Other ASGI app on uvicorn', hint: 'give its module:attribute' },
  { value: 'wsgi', name: 'Other WSGI app on gunicorn', hint: 'give its module:attribute' },
  { value: 'django', name: 'Django on gunicorn', hint: 'manage.py migrate, collectstatic at build time' },
];

export const SERVERS: Choice[] = [
  { value: 'gunicorn', name: 'gunicorn', hint: 'WSGI; ASGI apps with uvicorn workers' },
  { value: 'uvicorn', name: 'uvicorn', hint: 'ASGI' },
];

/** A folder inside the project, relative to it, without `..`: "src", "backend". */
export function parseFolder(field: string, raw: unknown): string {
  const text = asString(field, raw).replace(/\/+$/, '');
  if (text !== '' && (!REL_PATH_RE.test(text) || text.split('/').some((part) => part === '..' || part === '.' || part === ''))) {
    throw new AnswerError(field, `${describe(raw)} is not allowed; give a folder inside the project, relative to it (e.g. "${field === 'python-path' ? 'src' : 'backend'}")`);
  }
  return text;
}
