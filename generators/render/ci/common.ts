/**
 * What both pipelines share: the build arguments compose passes (so CI builds the same image), the
 * variables a mirror or index is set through, and the create-pyimage command line they run.
 */
import { composeObject, composeVariables } from '../compose.js';
import type { StackView } from '../view.js';

export interface CiVariable {
  name: string;
  /** The default when the CI variable is not set (compose's `${NAME:-default}`); '' = unset. */
  fallback: string;
  why: string;
}

/** `${NAME:-default}` as compose writes it: the default, or '' for `${NAME:-}`. */
function composeDefault(expression: string): string {
  const m = /^\$\{[A-Z0-9_]+:-(.*)\}$/.exec(expression);
  return m ? m[1]! : '';
}

/** The app's build arguments, exactly the ones docker-compose.yml passes, with their defaults. */
export function buildArgs(view: StackView): CiVariable[] {
  const app = (composeObject(view).services as Record<string, { build: { args: Record<string, string> } }>).app!;
  const why = new Map(composeVariables(view).map((v) => [v.name, v.comment]));
  return Object.entries(app.build.args).map(([name, expression]) => ({ name, fallback: composeDefault(expression), why: why.get(name) ?? '' }));
}

/** Build arguments plus the service images smoke pulls: every mirror or index a CI variable can point at. */
export function ciVariables(view: StackView): CiVariable[] {
  const images = composeVariables(view)
    .filter((v) => v.name === 'POSTGRES_IMAGE' || v.name === 'REDIS_IMAGE')
    .map((v) => ({ name: v.name, fallback: v.value, why: v.comment }));
  return [...buildArgs(view), ...images];
}

/** The published package, pinned to the version that generated the files: the pipeline runs what was tested. */
export const createPyimage = (view: StackView) => `npx --yes create-pyimage@${view.version}`;

export const SMOKE_JSON = 'smoke.json';
export const SBOM_FILE = 'sbom.cdx.json';

export const SCANNER_NOTE =
  'The scanner downloads its vulnerability database: it needs the network, so it runs only in your CI ' +
  '(create-pyimage\'s own tests never run it). Turn it on with the CI variable SBOM_SCAN=true.';
