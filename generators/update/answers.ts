/**
 * The answers for an update: the stored ones from .create-pyimage.json, changed by `--set
 * key=value` (answer keys or flag names), answer flags and an --answers file; interactive runs ask
 * the first run's questions again with the stored answers as defaults.
 */
import { normaliseKeys, resolveAnswers, withAliases, type Prompter } from '../answers/resolve.js';
import { AnswerError, OPTION_BY_KEY, OPTIONS } from '../answers/schema.js';
import type { AnswerKey, Answers } from '../answers/types.js';

type Raw = Partial<Record<AnswerKey, unknown>>;

/** `--set key=value` pairs; throws AnswerError naming the bad key or value. */
export function parseSets(sets: string[]): Raw {
  const out: Raw = {};
  for (const item of sets) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new AnswerError(`--set ${item}`, 'expected key=value, e.g. --set postgres=true or --set worker="python -m app.worker"');
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1);
    const normalised = normaliseKeys({ [key]: value }, 'in --set');
    for (const [k, v] of Object.entries(normalised) as [AnswerKey, unknown][]) {
      OPTION_BY_KEY.get(k)!.parse(v); // a bad value fails here, by name, before anything is rendered
      out[k] = v;
    }
  }
  return out;
}

/** The stored answers that this version still knows (older versions may have had others). */
export function storedAnswers(raw: Record<string, unknown>): { answers: Raw; dropped: string[] } {
  const answers: Raw = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (OPTION_BY_KEY.has(key as AnswerKey)) answers[key as AnswerKey] = value;
    else dropped.push(key);
  }
  return { answers, dropped };
}

export interface UpdateAnswersInput {
  stored: Raw;
  /** --set values and answer flags: they win. */
  changes: Raw;
  /** Values from an --answers file (under the changes, over the stored answers). */
  file?: Raw;
  /** Interactive runs: ask every question with the stored answer as its default. */
  prompt?: Prompter;
}

function tryParse(key: AnswerKey, raw: unknown): unknown {
  try {
    return raw === undefined ? undefined : OPTION_BY_KEY.get(key)!.parse(raw);
  } catch {
    return undefined;
  }
}

export async function resolveUpdateAnswers(input: UpdateAnswersInput): Promise<Answers> {
  // Lists such as --env add to what was stored, as they add to detection on a first run.
  const changes: Raw = { ...input.changes };
  for (const spec of OPTIONS) {
    const given = changes[spec.key];
    const stored = tryParse(spec.key, input.stored[spec.key]);
    if (spec.combine && given !== undefined && stored !== undefined) changes[spec.key] = spec.combine(stored as Answers[AnswerKey], spec.parse(given));
  }
  // An alias (--set postgres=false) changes its target (database) too, so what follows from the
  // target (migrations) is dropped as it would be for the target itself.
  const aliased = withAliases(changes)!;
  input = { ...input, changes: aliased, file: withAliases(input.file, aliased) };
  const explicit: Raw = { ...input.file, ...input.changes };
  const detected = Object.fromEntries(
    Object.keys(input.stored).map((k) => [k, tryParse(k as AnswerKey, input.stored[k as AnswerKey])]).filter(([, v]) => v !== undefined),
  ) as Partial<Answers>;
  if (input.prompt) {
    const ask = input.prompt;
    const prompt: Prompter = (spec, fallback) => ask(spec, (detected[spec.key] as Answers[AnswerKey] | undefined) ?? fallback);
    return resolveAnswers({ flags: input.changes, file: input.file, detected, prompt });
  }
  // Without prompts: the stored answers stand, except those a change made irrelevant (e.g. the
  // migrations of a database that --set postgres=false removed), which fall back to defaults.
  const partial: Partial<Answers> = {};
  const kept: Raw = {};
  for (const spec of OPTIONS) {
    const given = explicit[spec.key];
    const relevant = spec.when ? spec.when(partial) : true;
    let value: unknown;
    if (given !== undefined) {
      value = tryParse(spec.key, given);
    } else if (relevant && input.stored[spec.key] !== undefined) {
      kept[spec.key] = input.stored[spec.key];
      value = tryParse(spec.key, input.stored[spec.key]);
    } else {
      value = tryParse(spec.key, spec.fallback(partial, detected, {}));
    }
    (partial as Record<string, unknown>)[spec.key] = value;
  }
  return resolveAnswers({ flags: input.changes, file: { ...kept, ...input.file }, detected });
}

/** `postgres: false -> true` lines for the answers that changed. */
export function answerChanges(before: Raw, after: Answers): string[] {
  const out: string[] = [];
  for (const spec of OPTIONS) {
    const old = tryParse(spec.key, before[spec.key]);
    const now = after[spec.key];
    if (JSON.stringify(old) !== JSON.stringify(now)) out.push(`${spec.flag}: ${JSON.stringify(old ?? null)} -> ${JSON.stringify(now)}`);
  }
  return out;
}
