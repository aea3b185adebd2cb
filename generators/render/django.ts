/**
 * Django's build-time step: `manage.py collectstatic` imports the settings, which may require the
 * secret key and the database settings. The build gets throw-away values for every setting the stack
 * gives at run time: secrets become a fixed non-secret word, the database URL an in-memory sqlite
 * (collectstatic never connects), plain values stay as they are (generators/stack/env.ts resolves
 * each setting's build value). They are set only in the environment of that one RUN, in a stage the
 * runtime image does not descend from.
 */
import type { Answers } from '../answers/types.js';
import { modelOf } from '../stack/model.js';
import type { StackModel } from '../stack/types.js';
import { ENTRYPOINT_FILE } from '../stack/view.js';
import { shellQuote } from './escape.js';
import { managePy } from '../answers/django.js';

export { BUILD_ONLY_SECRET } from '../stack/env.js';

type ModelOrAnswers = StackModel | Answers;

function model(from: ModelOrAnswers): StackModel {
  return 'services' in from ? from : modelOf({ answers: from });
}

/** NAME=value pairs for collectstatic's RUN, shell-quoted. */
export function collectStaticEnv(from: ModelOrAnswers): string {
  return model(from)
    .settings.map(({ name, buildValue }) => `${name}=${shellQuote(buildValue)}`)
    .join(' ');
}

/**
 * `manage.py check --deploy` as run in the app container (smoke and scripts/smoke-test.sh): through
 * the image's entrypoint when settings hold secrets, so SECRET_KEY is the real one, not its token.
 */
export function checkDeployArgv(from: ModelOrAnswers): string[] {
  const check = ['python', managePy(model(from).answers), 'check', '--deploy'];
  return model(from).entrypoint ? ['python', `/app/${ENTRYPOINT_FILE}`, ...check] : check;
}

/**
 * What the static stage runs through `manage.py shell -c`: the settings as the app will see them
 * (DEBUG, STATIC_ROOT, ALLOWED_HOSTS printed in the build log), then collectstatic only when
 * STATIC_ROOT is set under that environment (settings may set it only when production is on).
 * With `staticLink`, a symlink there to STATIC_ROOT.
 */
export function collectStaticProgram(staticLink?: string): string {
  const program = [
    'from django.conf import settings as s',
    'from django.core.management import call_command',
    'print("settings under the app environment: DEBUG=%r STATIC_ROOT=%r ALLOWED_HOSTS=%r" % (s.DEBUG, s.STATIC_ROOT, s.ALLOWED_HOSTS))',
    'call_command("collectstatic", interactive=False) if s.STATIC_ROOT else print("STATIC_ROOT is not set under this environment: collectstatic skipped")',
    // --static-files proxy: a symlink to STATIC_ROOT at a fixed path, so the job that copies the files
    // into the proxy's volume finds them without importing the settings.
    ...(staticLink ? [`import os; os.symlink(str(s.STATIC_ROOT), ${JSON.stringify(staticLink)}) if s.STATIC_ROOT else None`] : []),
  ].join('; ');
  return shellQuote(program);
}
