/** A bad answer: names the field (its flag) and says what is allowed. The CLI turns it into exit 2. */
export class AnswerError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'AnswerError';
  }
}
