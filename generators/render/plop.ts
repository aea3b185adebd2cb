/**
 * create-pyimage's node-plop generator, and running it programmatically: answers in, staged files
 * out (or the failures). The generator is data: its actions are a function of the answers (one
 * "pyimage-stage" action per rendered file, like create-t3-app's installer map), and the custom
 * action type stages each file into an in-memory tree that the write room then diffs and flushes
 * all-or-nothing. Answers are collected by our own CLI (flags, answers file, detection,
 * @inquirer/prompts), so the generator has no plop prompts. The root plopfile.ts only re-exports
 * `registerGenerators` for plop's own CLI; nothing here imports it.
 */
import nodePlop, { type NodePlopAPI } from 'node-plop';
import type { Answers } from '../answers/types.js';
import { renderProject, type RenderedFile } from './index.js';

export const STACK_GENERATOR = 'stack';

export interface StackData {
  answers: Answers;
  /** Receives the staged files, keyed by path. */
  sink: Map<string, RenderedFile>;
}

export function registerGenerators(plop: NodePlopAPI): void {
  plop.setActionType('pyimage-stage', (_data, config) => {
    const file = config.file as RenderedFile;
    (config.sink as Map<string, RenderedFile>).set(file.path, file);
    return file.path;
  });
  plop.setGenerator(STACK_GENERATOR, {
    description: 'Dockerfile, compose stack, scripts and docs for a Python web service',
    prompts: [],
    actions: (data) => {
      const { answers, sink } = data as StackData;
      return renderProject(answers).map((file) => ({ type: 'pyimage-stage', file, sink, abortOnFail: true }));
    },
  });
}

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
