/** The shape of one row of the option table (schema.ts): flag, prompt, default, parser and message. */
import type { Choice } from './parse.js';
import type { AnswerKey, Answers } from './types.js';
import type { ProjectFacts } from './validate.js';

export interface OptionSpec {
  key: AnswerKey;
  /** Long flag without dashes; booleans also get `--no-<flag>`. */
  flag: string;
  /** `list`: a repeatable flag (`--env A=1 --env B=2`), a list or mapping in an answers file. */
  kind: 'string' | 'number' | 'boolean' | 'choice' | 'list';
  /** Question shown in the prompt. */
  question: string;
  /** One-line hint: the prompt's description and the `--help` line. */
  hint: string;
  /** What `--help` shows as the default. */
  defaultText: string;
  choices?: Choice[];
  /** Asked (and meaningful) only when this holds for the answers so far. */
  when?: (a: Partial<Answers>) => boolean;
  /** Flag-only: never asked interactively (its default suits nearly everyone). */
  flagOnly?: boolean;
  /** The default given the other answers and what detection found. */
  fallback: (a: Partial<Answers>, detected: Partial<Answers>, facts: ProjectFacts) => Answers[AnswerKey] | undefined;
  /** Turns a raw value (flag string, JSON/YAML value, prompt result) into the typed value or throws AnswerError. */
  parse: (raw: unknown) => Answers[AnswerKey];
  /** The message when there is no value and no one to ask (default: "is required here"). */
  missing?: (a: Partial<Answers>, facts: ProjectFacts) => string | undefined;
  /**
   * Another answer this one is an alias of (`--postgres` for `--database postgres`): given alone, it
   * sets that answer too (`to`), and given that answer, it follows (`from`). See resolve.ts.
   */
  aliasOf?: { key: AnswerKey; to: (value: never) => unknown; from: (target: never) => unknown };
  /** Lists that add to what detection found rather than replace it (--env, --state-dir). */
  combine?: (fallback: Answers[AnswerKey] | undefined, given: Answers[AnswerKey]) => Answers[AnswerKey];
}
