/**
 * Django's own production checklist, run in the built image: `manage.py check --deploy` in the
 * running app container, through the image's entrypoint when settings hold secrets (so SECRET_KEY is
 * the real one, not its token). Warnings are reported, not fatal; an error exit fails the step.
 */
/** The argv (render/django.ts shares it with scripts/smoke-test.sh). */
export { checkDeployArgv } from '../render/django.js';

export interface CheckReport {
  /** Check ids with their first line, e.g. "security.W004 You have not set a value for SECURE_HSTS_SECONDS." */
  issues: { id: string; text: string }[];
  summary: string;
}

/** Reads Django's report: "?: (security.W004) You have not set ..." lines. */
export function readCheckOutput(output: string): CheckReport {
  const issues: { id: string; text: string }[] = [];
  for (const line of output.split('\n')) {
    const m = /^\S*: \(([a-z_]+\.[A-Z]\d+)\) (.*)$/.exec(line.trim());
    if (m && !issues.some((i) => i.id === m[1])) issues.push({ id: m[1]!, text: m[2]!.split('. ')[0]!.replace(/\.$/, '') });
  }
  const summary = issues.length === 0 ? 'no issues' : `${issues.length} warning${issues.length === 1 ? '' : 's'}: ${issues.map((i) => `${i.id} (${i.text.slice(0, 70)})`).join('; ')}`;
  return { issues, summary };
}

/**
 * What the front door already does for Django's deploy checklist: HSTS (security.W004) and the
 * HTTP->HTTPS redirect (security.W008) are the proxy's (render/proxy/caddy.ts). Cookie flags
 * (W012 session, W016 CSRF) are the app's own settings: a proxy cannot set them honestly.
 */
export const PROXY_HANDLED_CHECKS: Readonly<Record<string, string>> = {
  'security.W004': 'HSTS is sent by the proxy',
  'security.W008': 'the proxy redirects HTTP to HTTPS',
};

/** The report with the checks the proxy covers moved out of the warnings and named as covered. */
export function withProxy(report: CheckReport): CheckReport {
  const covered = report.issues.filter((i) => PROXY_HANDLED_CHECKS[i.id]);
  const issues = report.issues.filter((i) => !PROXY_HANDLED_CHECKS[i.id]);
  if (covered.length === 0) return report;
  const rest = issues.length === 0 ? 'no other issues' : `${issues.length} warning${issues.length === 1 ? '' : 's'}: ${issues.map((i) => `${i.id} (${i.text.slice(0, 70)})`).join('; ')}`;
  return { issues, summary: `${rest}; covered by the proxy: ${covered.map((i) => `${i.id} (${PROXY_HANDLED_CHECKS[i.id]})`).join('; ')}` };
}
