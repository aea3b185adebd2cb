import type { Rule } from './types.js';

/** Django's own failure modes in production (DJ-xx: this tool's ids; the checklist has none for Django). */
export const DJANGO_RULES = {
  'DJ-01': {
    severity: 'high',
    title: 'Django DEBUG on in a production compose file',
    why: 'With DEBUG on, every error page shows settings, environment variables, SQL and source code to whoever triggers it, and Django keeps every query in memory.',
    fix: 'Set `DEBUG: "False"` (or `0`, as the settings parse it) in docker-compose.yml and keep DEBUG=True for a development override file only.',
  },
  'DJ-02': {
    severity: 'medium',
    title: "ALLOWED_HOSTS = ['*']",
    why: 'Any Host header is accepted: password-reset links and absolute URLs can be made to point at an attacker\'s domain (host header poisoning), and Django\'s own protection is off.',
    fix: 'List the names the site is served under, from the environment: `ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")`.',
  },
  'DJ-03': {
    severity: 'high',
    title: 'Literal SECRET_KEY in the settings',
    why: 'A key in the source is in every clone, image layer and backup: anyone with it can forge sessions, password-reset tokens and signed cookies.',
    fix: 'Read it from the environment without a fallback, `SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]`, and give it from a secret file (create-pyimage wires it from secrets/secret_key).',
  },
  'DJ-04': {
    severity: 'high',
    title: 'runserver as the container command',
    why: 'Django\'s development server is single-process, unhardened and documented as not for production; it also reloads code and serves static files only with DEBUG on.',
    fix: 'Serve the WSGI application with gunicorn: `CMD ["gunicorn", "--bind", "0.0.0.0:8000", "mysite.wsgi:application"]` (or the ASGI one with uvicorn).',
  },
} as const satisfies Record<string, Rule>;
