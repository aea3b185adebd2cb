/**
 * `create-pyimage smoke`: prove a generated stack for real. The parts live in smoke/: the steps as
 * data (steps.ts), the compose run (compose.ts), the Swarm run (swarm.ts), the GPU override
 * (gpu.ts), each service module's steps (services/), the override table (options.ts) and the
 * runner (run.ts). This module is the engine room's entry for them.
 */
export { smokeProject, type SmokePlan } from './smoke/run.js';
export { OVERRIDES, overrideEnv, type Override, type SmokeOptions } from './smoke/options.js';
export { gpuDecision } from './smoke/gpu.js';
export { ensureSecrets, readStackAnswers } from './smoke/project.js';
export { failedBuildLog, lastLines, nonRootUid, StepFailure, type Context, type SmokeResult, type SmokeStep, type StepSpec } from './smoke/steps.js';
