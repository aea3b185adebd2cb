/**
 * The generator's self-check: audit the rendered files in memory before they are written, so
 * `create-pyimage` never says "Done" over output that fails its own audit. A finding on a setting
 * the user gave explicitly (`--env DEBUG=1`) is theirs to decide: a warning naming the flag, unless
 * `strict`. Only findings in what the generator chose itself are reported as its bug.
 */
import { formatText } from './format.js';
import { auditFiles } from './index.js';
import type { AuditFile, AuditOptions, AuditReport, Finding } from './types.js';

export interface GeneratedAudit {
  /** True when nothing stops generation: no finding of ours, and none of the user's under `strict`. */
  ok: boolean;
  report: AuditReport;
  /** One line when clean (`audit: 0 findings in 12 files, grade A`), else the full text report. */
  message: string;
  /** Findings caused by a value the user gave, each with the flag that gave it. */
  fromUser: { finding: Finding; flag: string }[];
}

export interface UserChoices {
  /** NAME=VALUE entries the user gave with --env (or in the answers file / API values). */
  env?: string[];
  /** Fail on the user's findings too (`--strict`). */
  strict?: boolean;
}

/** The --env entry a finding sits on: its line (or the message) names the variable. */
function userFlag(finding: Finding, files: readonly AuditFile[], env: string[]): string | undefined {
  const content = files.find((f) => f.path === finding.file)?.content ?? '';
  const line = content.split('\n')[finding.line - 1] ?? '';
  for (const entry of env) {
    const name = entry.slice(0, entry.indexOf('='));
    const onLine = new RegExp(`(^|[\\s"'{-])${name}\\s*[:=]`).test(line);
    if (onLine || new RegExp(`\\b${name}=`).test(finding.message)) return `--env ${entry}`;
  }
  return undefined;
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
export function auditGenerated(files: readonly AuditFile[], options: AuditOptions & { twin?: ShellcheckTwin } = {}, user: UserChoices = {}): GeneratedAudit {
  const { twin, ...auditOptions } = options;
  const audited = files.filter((f) => !f.path.startsWith('.create-pyimage/')).map(({ path, content, mode }) => ({ path, content, mode }));
  const report = auditFiles(audited, { ...auditOptions, shellcheckAs: auditOptions.shellcheckAs ?? twinText(audited, twin) });
  const fromUser: GeneratedAudit['fromUser'] = [];
  const ours: Finding[] = [];
  for (const finding of report.findings) {
    const flag = userFlag(finding, audited, user.env ?? []);
    if (flag) fromUser.push({ finding, flag });
    else ours.push(finding);
  }
  const checker = report.notes.find((n) => /shellcheck/i.test(n));
  const clean = `audit: 0 findings in ${report.summary.files} files, grade ${report.summary.grade}${checker ? ` (${checker})` : ''}`;
  const yours = fromUser.map(({ finding: f, flag }) => `  ${f.file}:${f.line}  ${f.ruleId} ${f.severity.toUpperCase()}: ${f.message} (from ${flag})\n      fix: ${f.fix}`);
  const warning = user.strict
    ? `audit: findings caused by values you gave (--strict makes them a failure):\n${yours.join('\n')}`
    : `warning: the audit flags values you gave; generation goes on (--strict makes this a failure):\n${yours.join('\n')}`;
  let message: string;
  if (ours.length > 0) message = `audit of the generated files found problems (a create-pyimage bug: please report it):\n${formatText({ ...report, findings: ours })}`;
  else if (fromUser.length > 0) message = warning;
  else message = clean;
  if (ours.length > 0 && fromUser.length > 0) message += `\n${warning}`;
  return { ok: ours.length === 0 && (!user.strict || fromUser.length === 0), report, message, fromUser };
}
