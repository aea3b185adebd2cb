/**
 * Exit codes and the user-facing errors, shared by every room. A base module: it imports nothing,
 * so no room climbs up (to the CLI or anywhere else) for them. The CLI catches them once, at the
 * top (cli/main.ts), and turns them into a message and an exit code.
 */
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

/**
 * Bad user input of any kind (an answer, a flag, a config file, the build contract's JSON): the
 * message names the field and says what is allowed; exit code 2 and nothing written. Every room
 * throws this (or a subclass) as it is: nothing catches it to rethrow it as another type.
 */
export class InputError extends UserError {
  constructor(
    message: string,
    /** The field, flag or key at fault, when there is one. */
    readonly field?: string,
  ) {
    super(field === undefined ? message : `${field}: ${message}`, EXIT_USAGE);
    this.name = 'InputError';
  }
}

/** A bad answer: names the field (its flag) and says what is allowed. */
export class AnswerError extends InputError {
  declare readonly field: string;
  constructor(field: string, message: string) {
    super(message, field);
    this.name = 'AnswerError';
  }
}
