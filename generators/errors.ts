/** Exit codes and the user-facing error, shared by every room (a base module: no room imports the CLI for them). */
export const EXIT_OK = 0;
/** Findings, a failed smoke step, merge conflicts: the command ran but the result is not clean. */
export const EXIT_FAILED = 1;
/** Bad input: a message names the field and the fix, and nothing was written. */
export const EXIT_USAGE = 2;

/** An error whose message is meant for the user as-is (no stack), with an exit code. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
