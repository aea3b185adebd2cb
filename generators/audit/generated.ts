/**
 * The generator's self-check: audit the rendered files in memory before they are written, so
 * `create-pyimage` never says "Done" over output that fails its own audit.
 */
import { formatText } from './format.js';
import { auditFiles } from './index.js';
import type { AuditFile, AuditOptions, AuditReport } from './types.js';

export interface GeneratedAudit {
  /** True when the rendered stack has no finding at all. */
  ok: boolean;
  report: AuditReport;
  /** One line when clean (`audit: 0 findings in 12 files, grade A`), else the full text report. */
  message: string;
}

/** Audit rendered files; pristine copies under `.create-pyimage/` are skipped (they duplicate the output). */
export function auditGenerated(files: readonly AuditFile[], options: AuditOptions = {}): GeneratedAudit {
  const report = auditFiles(
    files.filter((f) => !f.path.startsWith('.create-pyimage/')).map(({ path, content, mode }) => ({ path, content, mode })),
    options,
  );
  const ok = report.findings.length === 0;
  const checker = report.notes.find((n) => /shellcheck/i.test(n));
  const message = ok
    ? `audit: 0 findings in ${report.summary.files} files, grade ${report.summary.grade}${checker ? ` (${checker})` : ''}`
    : `audit of the generated files found problems (a create-pyimage bug: please report it):\n${formatText(report)}`;
  return { ok, report, message };
}
