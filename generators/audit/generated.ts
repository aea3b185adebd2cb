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

/**
 * The project name the ShellCheck twin is rendered with: a valid name (lowercase letters and dashes,
 * so to the shell the same kind of plain word as any name) that no template contains.
 */
export const TWIN_NAME = 'x-create-pyimage-name-x';

/** The same answers rendered with `name: TWIN_NAME`, and the real name. */
export interface ShellcheckTwin {
  name: string;
  files: readonly AuditFile[];
}

/**
 * ShellCheck is the slow part of generating (a process over every script), and the project name is the
 * one answer that changes the scripts of every new project (lib.sh's APP_NAME, usage texts), so exact
 * content hashes never repeat across projects. Each script is therefore ShellChecked as its twin: the
 * same template rendered with TWIN_NAME, whose result the cache keeps for every later project.
 * Why the twin's result is the script's result:
 *   - a twin is used only when putting the real name back gives the real script, character for character
 *     (`twin.split(TWIN_NAME).join(name) === script`): the texts differ in the name and nowhere else, and
 *     no template branches on the name;
 *   - a name is validated to lowercase letters, digits and single dashes (answers/schema.ts), as the
 *     placeholder is: a plain literal word to the shell, with no quote, expansion, glob or operator;
 *   - templates put the name only where it is data (an assignment's value, usage text), never as a
 *     command; test/audit/shellcheck-twin.test.ts runs ShellCheck on real scripts with names such as
 *     `eval`, `if` and `rm` and on their twins over the render matrix, and compares the results.
 * Line numbers are the same (a name has no newline); columns after the name on its line may differ,
 * and the self-check reports by line only. Anything else (another answer) stays in the exact text.
 */
export function twinText(files: readonly AuditFile[], twin: ShellcheckTwin | undefined): ((content: string) => string) | undefined {
  if (!twin || twin.name === TWIN_NAME) return undefined;
  const twins = new Map(twin.files.map((f) => [f.path, f.content]));
  const byContent = new Map<string, string>();
  for (const f of files) {
    const other = twins.get(f.path);
    if (other !== undefined && other.split(TWIN_NAME).join(twin.name) === f.content) byContent.set(f.content, other);
  }
  return (content) => byContent.get(content) ?? content;
}

/**
 * Audit rendered files; pristine copies under `.create-pyimage/` are skipped (they duplicate the output).
 * With `twin`, scripts are ShellChecked as their twins (see twinText).
 */
export function auditGenerated(files: readonly AuditFile[], options: AuditOptions & { twin?: ShellcheckTwin } = {}): GeneratedAudit {
  const { twin, ...auditOptions } = options;
  const own = files.filter((f) => !f.path.startsWith('.create-pyimage/')).map(({ path, content, mode }) => ({ path, content, mode }));
  const report = auditFiles(own, { ...auditOptions, shellcheckAs: auditOptions.shellcheckAs ?? twinText(own, twin) });
  const ok = report.findings.length === 0;
  const checker = report.notes.find((n) => /shellcheck/i.test(n));
  const message = ok
    ? `audit: 0 findings in ${report.summary.files} files, grade ${report.summary.grade}${checker ? ` (${checker})` : ''}`
    : `audit of the generated files found problems (a create-pyimage bug: please report it):\n${formatText(report)}`;
  return { ok, report, message };
}
