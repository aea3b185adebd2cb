/**
 * The model behind a view: render's projections take either the model itself or, from older
 * callers, a view with answers; only then is the model built (test/generator/stack-model.test.ts
 * counts the builds through build.ts's export, so this must call it from outside that module).
 */
import type { Answers } from '../answers/types.js';
import { buildStack } from './build.js';
import type { StackModel } from './types.js';

export function modelOf(view: { answers: Answers }): StackModel {
  return 'services' in view && 'settings' in view ? (view as StackModel) : buildStack(view.answers);
}
