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
  const check = ['python', 'manage.py', 'check', '--deploy'];
  return model(from).entrypoint ? ['python', `/app/${ENTRYPOINT_FILE}`, ...check] : check;
}
