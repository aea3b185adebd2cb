/**
 * What render hands to write, as plain shapes: a base module both rooms import (render stays below
 * write and never imports it).
 */

/**
 * `replace`: a whole file the user may have edited (never overwritten without consent);
 * `append-lines`: lines we need in a file the user owns (.gitignore): only missing lines are added;
 * `owned`: create-pyimage's own bookkeeping (.create-pyimage.json, pristine copies): always replaced.
 */
export type WriteStrategy = 'replace' | 'append-lines' | 'owned';
