/**
 * The app's own smoke steps beyond health and non-root (which every stack has, see compose.ts):
 * Django's deploy checks, and the writable state directories.
 */
import { checkDeployArgv, readCheckOutput, withProxy } from '../../django-check.js';
import { compose } from '../../docker.js';
import { lastLines, MINUTE, serviceSmoke, StepFailure } from '../steps.js';

export const djangoSmoke = serviceSmoke('app', [
  {
    name: 'django check --deploy',
    when: (ctx) => ctx.answers.framework === 'django',
    compose: async (ctx) => {
      const r = await compose(ctx.project, ['exec', '-T', 'app', ...checkDeployArgv(ctx.answers)], { timeout: MINUTE, signal: ctx.signal });
      if (!r.ok) throw new StepFailure(`manage.py check --deploy failed (exit ${r.exitCode ?? '?'})`, lastLines(r.all, 30));
      const report = readCheckOutput(r.all);
      // Behind the proxy, HSTS (W004) and the HTTPS redirect (W008) are the proxy's: reported as covered.
      return `manage.py check --deploy: ${(ctx.answers.proxy === 'caddy' ? withProxy(report) : report).summary}`;
    },
  },
]);

export const stateSmoke = serviceSmoke('app', [
  {
    name: 'state directories writable',
    when: (ctx) => ctx.answers.stateDirs.length > 0,
    compose: async (ctx) => {
      const check = 'import os, sys; bad = [d for d in sys.argv[1:] if not os.access(d, os.W_OK)]; print(*bad); sys.exit(1 if bad else 0)';
      const r = await compose(ctx.project, ['exec', '-T', 'app', 'python', '-c', check, ...ctx.answers.stateDirs], { timeout: MINUTE, signal: ctx.signal });
      if (!r.ok) throw new StepFailure(`not writable by the app user: ${r.stdout.trim() || lastLines(r.all, 5)}`);
      return `${ctx.answers.stateDirs.join(', ')} writable by the app (named volumes); the rest is read-only`;
    },
  },
]);
