/** Runs the plop generator programmatically: answers in, staged files out (or the failures). */
import nodePlop from 'node-plop';
import registerGenerators, { STACK_GENERATOR, type StackData } from '../../plopfile.js';
import type { Answers } from '../answers/types.js';
import type { RenderedFile } from './index.js';

export async function renderWithPlop(answers: Answers): Promise<RenderedFile[]> {
  const plop = await nodePlop('');
  registerGenerators(plop);
  const sink = new Map<string, RenderedFile>();
  const data: StackData = { answers, sink };
  const { failures } = await plop.getGenerator(STACK_GENERATOR).runActions(data as never);
  if (failures.length > 0) {
    throw new Error(`rendering failed: ${failures.map((f) => `${f.path || f.type}: ${f.error || f.message}`).join('; ')}`);
  }
  return [...sink.values()];
}
