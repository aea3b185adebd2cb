/**
 * Django's build-time step: `manage.py collectstatic` imports the settings, which may require the
 * secret key and the database settings. The build gets throw-away values for every setting the stack
 * gives at run time: secrets become a fixed non-secret word, the database URL an in-memory sqlite
 * (collectstatic never connects), plain values stay as they are. They are set only in the
 * environment of that one RUN, in a stage the runtime image does not descend from.
 */
import type { Answers } from '../answers/types.js';
import { envEntries, PLACEHOLDER_RE } from '../answers/settings.js';
import { dbName, DB_HOST, DB_PORT, ENTRYPOINT_FILE, needsEntrypoint, REDIS_HOST, REDIS_PORT } from './app-env.js';
import { shellQuote } from './escape.js';
import { managePy } from '../answers/django.js';

/** What every secret is at build time: visible in the static stage's history, and worth nothing. */
export const BUILD_ONLY_SECRET = 'build-only-not-a-secret';
const BUILD_DB_URL = 'sqlite://:memory:';

function buildValue(a: Answers, raw: string): string {
  if (raw.trim() === '{db.url}') return BUILD_DB_URL;
  return raw.replace(PLACEHOLDER_RE, (_whole, family: string, key: string) => {
    if (family === 'db') {
      const values: Record<string, string> = { host: DB_HOST, port: String(DB_PORT), user: dbName(a), name: dbName(a), password: BUILD_ONLY_SECRET, url: BUILD_DB_URL };
      return values[key] ?? BUILD_ONLY_SECRET;
    }
    if (family === 'redis') return `redis://${REDIS_HOST}:${REDIS_PORT}/0`;
    return BUILD_ONLY_SECRET;
  });
}

/** NAME=value pairs for collectstatic's RUN, shell-quoted. */
export function collectStaticEnv(a: Answers): string {
  return envEntries(a.env)
    .map(({ name, value }) => `${name}=${shellQuote(buildValue(a, value))}`)
    .join(' ');
}

/**
 * `manage.py check --deploy` as run in the app container (smoke and scripts/smoke-test.sh): through
 * the image's entrypoint when settings hold secrets, so SECRET_KEY is the real one, not its token.
 */
export function checkDeployArgv(a: Answers): string[] {
  const check = ['python', managePy(a), 'check', '--deploy'];
  return needsEntrypoint(a) ? ['python', `/app/${ENTRYPOINT_FILE}`, ...check] : check;
}

/**
 * What the static stage runs through `manage.py shell -c`: the settings as the app will see them
 * (DEBUG, STATIC_ROOT, ALLOWED_HOSTS printed in the build log), then collectstatic only when
 * STATIC_ROOT is set under that environment (settings may set it only when production is on).
 */
export function collectStaticProgram(): string {
  const program = [
    'from django.conf import settings as s',
    'from django.core.management import call_command',
    'print("settings under the app environment: DEBUG=%r STATIC_ROOT=%r ALLOWED_HOSTS=%r" % (s.DEBUG, s.STATIC_ROOT, s.ALLOWED_HOSTS))',
    'call_command("collectstatic", interactive=False) if s.STATIC_ROOT else print("STATIC_ROOT is not set under this environment: collectstatic skipped")',
  ].join('; ');
  return shellQuote(program);
}
