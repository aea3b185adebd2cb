/** The answers room's error lives in the base module (generators/errors.ts); re-exported for its old path. */
export { AnswerError } from '../errors.js';
