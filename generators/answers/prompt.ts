/** Interactive questions with @inquirer/prompts, driven by the answers schema. */
import { confirm, input, select } from '@inquirer/prompts';
import type { Prompter } from './resolve.js';
import { AnswerError } from './schema.js';

function validator(parse: (raw: unknown) => unknown) {
  return (value: unknown): true | string => {
    try {
      parse(value);
      return true;
    } catch (error) {
      return error instanceof AnswerError ? error.message : String(error);
    }
  };
}

export const inquirerPrompter: Prompter = async (spec, defaultValue) => {
  const message = spec.question;
  switch (spec.kind) {
    case 'boolean':
      return confirm({ message, default: defaultValue === true });
    case 'choice':
      return select({
        message,
        default: defaultValue === undefined ? undefined : String(defaultValue),
        choices: spec.choices!.map((c) => ({ value: c.value, name: c.name, description: c.hint || undefined })),
      });
    case 'list':
      return defaultValue; // lists come from flags and detection only
    case 'number':
    case 'string':
      return input({
        message: `${message} (${spec.hint})`,
        default: defaultValue === undefined || defaultValue === '' ? undefined : String(defaultValue),
        validate: validator(spec.parse),
      });
  }
};
