/**
 * What the engine and the audit read from the modules, as data: the smoke steps of a stack, the
 * audit expectations, and the one table of image overrides (mirror or stand-in images).
 */
import type { Answers } from '../answers/types.js';
import { MODULES } from './modules/index.js';
import type { AuditExpectation, ImageOverride, SmokeStepContribution, StackModel } from './types.js';

/** The smoke steps the active modules contribute, in service order. */
export function smokeContributions(model: Pick<StackModel, 'modules' | 'answers'>): SmokeStepContribution[] {
  return model.modules.flatMap((m) => m.smoke?.(model.answers) ?? []);
}

/** The checklist rules each active module's service is held to. */
export function auditExpectations(model: Pick<StackModel, 'modules' | 'answers'>): AuditExpectation[] {
  return model.modules.flatMap((m) => m.audit?.(model.answers) ?? []);
}

/** Every image a module runs that a mirror or stand-in may replace: one table, whatever is active. */
export function imageOverrides(modules = MODULES): ImageOverride[] {
  return modules.flatMap((m) => (m.image ? [m.image] : []));
}

/** The image overrides of the services these answers run (what smoke passes on). */
export function activeImageOverrides(a: Answers): ImageOverride[] {
  return imageOverrides(MODULES.filter((m) => m.applies(a)));
}
