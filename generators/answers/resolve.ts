/**
 * Turns flags, an answers file, detection and prompts into one validated Answers object.
 * Precedence: flags > answers file > detection > defaults. Prompts (interactive runs only) ask
 * for what flags and the file did not answer, offering detection or the default.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { AnswerKey, Answers } from './types.js';
import { AnswerError, OPTION_BY_FLAG, OPTION_BY_KEY, OPTIONS, crossValidate, type OptionSpec, type ProjectFacts } from './schema.js';

/** Asks one question; tests pass a scripted one. */
export type Prompter = (spec: OptionSpec, defaultValue: Answers[AnswerKey] | undefined) => Promise<unknown>;

export interface ResolveInput {
  /** Values given on the command line, keyed by answer key. */
  flags: Partial<Record<AnswerKey, unknown>>;
  /** Values from --answers FILE, keyed by answer key. */
  file?: Partial<Record<AnswerKey, unknown>>;
  detected: Partial<Answers>;
  /** What detection read that is not an answer (dependency names, the variables the code reads). */
  facts?: ProjectFacts;
  /** A prompter when questions may be asked; undefined for non-interactive runs. */
  prompt?: Prompter;
}

/** Reads an answers file (JSON or YAML; keys as answer keys or flag names). */
export function readAnswersFile(path: string): Partial<Record<AnswerKey, unknown>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AnswerError('answers', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new AnswerError('answers', `${path} is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  // A .create-pyimage.json written by a previous run holds its answers under "answers".
  if (data && typeof data === 'object' && 'answers' in data && 'generator' in data) data = (data as { answers: unknown }).answers;
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new AnswerError('answers', `${path} must hold a mapping of answers, e.g. {"framework": "flask", "postgres": true}`);
  }
  return normaliseKeys(data as Record<string, unknown>, `in ${path}`);
}

/** Accepts answer keys (`healthPath`) and flag names (`health-path`); refuses anything else by name. */
export function normaliseKeys(raw: Record<string, unknown>, where: string): Partial<Record<AnswerKey, unknown>> {
  const out: Partial<Record<AnswerKey, unknown>> = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = OPTION_BY_KEY.get(key as AnswerKey) ?? OPTION_BY_FLAG.get(key);
    if (!spec) {
      throw new AnswerError(key, `unknown answer ${where}; known answers: ${OPTIONS.map((o) => o.flag).join(', ')}`);
    }
    out[spec.key] = value;
  }
  return out;
}

type Layer = Partial<Record<AnswerKey, unknown>>;

/**
 * Aliases (an old flag kept for a choice, see OptionSpec.aliasOf) as their target: within a layer, an alias given
 * alone sets its target and a target given alone sets its aliases, so a higher layer's choice
 * (flags over the answers file) replaces both. Both given in one layer must agree (crossValidate).
 */
export function withAliases(layer: Layer | undefined, higher: Layer = {}): Layer | undefined {
  if (!layer) return layer;
  const out: Layer = { ...layer };
  for (const spec of OPTIONS) {
    if (!spec.aliasOf) continue;
    const target = OPTION_BY_KEY.get(spec.aliasOf.key)!;
    if (higher[spec.key] !== undefined || higher[target.key] !== undefined) {
      delete out[spec.key];
      delete out[target.key];
    } else if (out[spec.key] !== undefined && out[target.key] === undefined) {
      out[target.key] = spec.aliasOf.to(spec.parse(out[spec.key]) as never);
    } else if (out[target.key] !== undefined && out[spec.key] === undefined) {
      out[spec.key] = spec.aliasOf.from(target.parse(out[target.key]) as never);
    }
  }
  return out;
}

/** An alias and its target given both, and differently (`--database none --postgres`), is refused by name. */
function checkAliases(a: Answers): void {
  for (const spec of OPTIONS) {
    if (!spec.aliasOf) continue;
    const target = OPTION_BY_KEY.get(spec.aliasOf.key)!;
    const value = a[spec.key];
    if (spec.aliasOf.from(a[target.key] as never) === value) continue;
    const alias = typeof value === 'boolean' ? `--${value ? '' : 'no-'}${spec.flag}` : `--${spec.flag} ${String(value)}`;
    throw new AnswerError(target.flag, `--${target.flag} ${String(a[target.key])} and ${alias} disagree; give one of them`);
  }
}

export async function resolveAnswers(input: ResolveInput): Promise<Answers> {
  const flags = withAliases(input.flags)!;
  input = { ...input, flags, file: withAliases(input.file, flags) };
  const answers: Partial<Answers> = {};
  const set = <K extends AnswerKey>(key: K, value: Answers[K]) => {
    answers[key] = value;
  };
  for (const spec of OPTIONS) {
    const given = input.flags[spec.key] ?? input.file?.[spec.key];
    const relevant = spec.when ? spec.when(answers) : true;
    let value: Answers[AnswerKey];
    const facts = input.facts ?? {};
    if (given !== undefined) {
      value = spec.combine ? spec.combine(spec.fallback(answers, input.detected, facts), spec.parse(given)) : spec.parse(given);
    } else {
      const fallback = spec.fallback(answers, input.detected, facts);
      if (input.prompt && relevant && !spec.flagOnly) {
        value = spec.parse(await input.prompt(spec, fallback));
      } else if (fallback !== undefined) {
        value = spec.parse(fallback);
      } else {
        const missing = spec.missing?.(answers, facts);
        if (missing) throw new AnswerError(spec.flag, missing);
        throw new AnswerError(spec.flag, `is required here (${spec.hint}); pass --${spec.flag}${input.prompt ? '' : ' or run interactively'}`);
      }
    }
    set(spec.key, value as never);
  }
  const complete = answers as Answers;
  checkAliases(complete);
  crossValidate(complete, input.facts);
  return complete;
}

/**
 * Answers stored in .create-pyimage.json, completed non-interactively: keys this version does not
 * know are dropped, answers an older version did not have take their defaults, and all are validated.
 */
export async function completeStoredAnswers(raw: Record<string, unknown>): Promise<Answers> {
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => OPTION_BY_KEY.has(k as AnswerKey)));
  return resolveAnswers({ flags: {}, file: known as Partial<Record<AnswerKey, unknown>>, detected: {} });
}
