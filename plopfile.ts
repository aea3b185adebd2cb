/**
 * Registers create-pyimage's generator with node-plop. The generator is data: its actions are a
 * function of the answers (one "pyimage-stage" action per rendered file, like create-t3-app's
 * installer map), and the custom action type stages each file into an in-memory tree that the
 * write room then diffs and flushes all-or-nothing. Answers are collected by our own CLI
 * (flags, answers file, detection, @inquirer/prompts), so the generator has no plop prompts.
 */
import type { NodePlopAPI } from 'node-plop';
import type { Answers } from './generators/answers/types.js';
import { renderProject, type RenderedFile } from './generators/render/index.js';

export const STACK_GENERATOR = 'stack';

export interface StackData {
  answers: Answers;
  /** Receives the staged files, keyed by path. */
  sink: Map<string, RenderedFile>;
}

export default function registerGenerators(plop: NodePlopAPI): void {
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
