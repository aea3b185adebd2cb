/**
 * Rules between answers, checked after each field is valid on its own, and the facts derived
 * from several answers (the migration command, the GPU services).
 */
import type { Answers } from './types.js';
import { splitCommand } from './shell-words.js';
import { AnswerError } from './errors.js';
import { envEntries, placeholdersIn } from './settings.js';
import { placeholderList, SERVICE_FAMILIES } from './placeholders.js';
import { stackEnv, type WiringFacts } from './wiring.js';
import { DJANGO_MIGRATE, djangoProblems, managePy } from './django.js';
import type { AppFacts } from './app-detect.js';
import { proxyProblems } from './proxy-facts.js';
import { kubeProblems } from './kube-facts.js';

/** What detection read from the project that is not itself an answer (e.g. the dependency names). */
export interface ProjectFacts extends WiringFacts {
  /** Where detection looked for the app (and what it saw when it found none), and gunicorn.conf.py. */
  app?: AppFacts;
  /** Normalised distribution names the project depends on; undefined when no dependency file was found. */
  dependencies?: string[];
}

/** Rules between answers, checked after each field is valid on its own. */
export function crossValidate(a: Answers, facts: ProjectFacts = {}): void {
  djangoProblems(a, facts.django);
  proxyProblems(a);
  kubeProblems(a);
  if ((a.framework === 'flask' || a.framework === 'wsgi') && a.server === 'uvicorn') {
    throw new AnswerError('server', `uvicorn serves ASGI apps; a ${a.framework === 'flask' ? 'Flask' : 'WSGI'} app runs on gunicorn (drop --server or use --server gunicorn)`);
  }
  for (const placeholder of placeholdersIn(a.env)) {
    const family = SERVICE_FAMILIES.find((f) => placeholder.startsWith(`${f.family}.`));
    if (family && !family.active(a)) {
      throw new AnswerError('env', `{${placeholder}} needs ${family.service}; ${family.enable} or set the value yourself`);
    }
  }
  const given = new Set([...envEntries(a.env).map((e) => e.name), ...stackEnv(a)]);
  const missing = (facts.envReads ?? []).filter((r) => r.required && !given.has(r.name));
  if (missing.length > 0) {
    const where = missing.map((r) => `${r.name} (${r.file}:${r.line})`).join(', ');
    throw new AnswerError(
      'env',
      `the app requires ${where} and nothing sets ${missing.length === 1 ? 'it' : 'them'}: pass ${missing.map((r) => `--env ${r.name}=VALUE`).join(' ')} ` +
        `(VALUE may use ${placeholderList().join(', ')})`,
    );
  }
  if (a.database === 'none' && a.migrations !== 'none') {
    throw new AnswerError('migrations', `"${a.migrations}" needs a database; add --postgres or use --migrations none`);
  }
  if (a.migrations === 'custom' && a.migrateCommand === '') {
    throw new AnswerError('migrate-command', 'is required with --migrations custom, e.g. --migrate-command "python -m app.migrate"');
  }
  if ((a.framework === 'fastapi' || a.framework === 'asgi') && /\(.+\)$/.test(a.appModule)) {
    throw new AnswerError('app', `uvicorn calls an app factory without arguments: write "${a.appModule.replace(/\(.*\)$/, '()')}", or use --framework wsgi for gunicorn`);
  }
  if (a.migrations !== 'custom' && a.migrateCommand !== '') {
    throw new AnswerError('migrate-command', 'is only used with --migrations custom; drop it or add --migrations custom');
  }
  if (a.gpu === 'none' && a.gpuServices !== 'app') {
    throw new AnswerError('gpu-services', 'is only used with --gpu render or --gpu nvidia; drop it or add --gpu');
  }
  if (a.gpuServices.split(',').includes('worker') && a.worker === '') {
    throw new AnswerError('gpu-services', 'names "worker" but this stack has no worker; add --worker "<command>" or use --gpu-services app');
  }
}

/** The argv of a migration command, or undefined when there is none. */
export function migrationArgv(a: Answers): string[] | undefined {
  switch (a.migrations) {
    case 'none':
      return undefined;
    case 'alembic':
      return ['alembic', 'upgrade', 'head'];
    case 'flask-db':
      return ['flask', 'db', 'upgrade'];
    case 'django':
      return ['python', managePy(a), ...DJANGO_MIGRATE.slice(2)];
    case 'custom':
      return splitCommand(a.migrateCommand);
  }
}

/** The services that get the GPU override; "app" for stacks generated before the answer existed. */
export function gpuServiceList(a: Pick<Answers, 'gpuServices'>): string[] {
  return (a.gpuServices || 'app').split(',');
}
