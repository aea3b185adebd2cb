/**
 * The render room's view of the stack: the model (generators/stack) is what every file projects.
 * Kept as the old entry point: `buildView` builds the model, and the facts are re-exported.
 */
export {
  APP_DIR,
  APP_HEALTH,
  APP_UID,
  defaultBaseImage,
  dependencyFiles,
  GRACEFUL_SECONDS,
  START_INTERVAL,
  START_INTERVAL_REF,
  STOP_GRACE_SECONDS,
  UV_IMAGE,
  VENV,
  withoutStartInterval,
  type StackView,
} from '../stack/view.js';
export { defaultPostgresImage, postgresDataPath } from '../stack/modules/postgres.js';
export { buildStack as buildView } from '../stack/build.js';
