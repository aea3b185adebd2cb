/**
 * `create-pyimage audit [dir]`: read a project's Dockerfiles, compose files, .env files,
 * .dockerignore and shell scripts, and report hardening findings. See generators/audit/.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { CONFIG_FILE, loadConfig } from '../audit/config.js';
import { computeFixes, isFixable } from '../audit/fix.js';
import { FORMATS, formatReport, type Format } from '../audit/format.js';
import { atOrAbove, auditFiles, collectProjectFiles } from '../audit/index.js';
import { systemShellcheck } from '../audit/scripts.js';
import { SEVERITIES, type AuditOptions, type AuditReport, type Severity } from '../audit/types.js';
import { packageVersion } from '../paths.js';
import { commitPlan, diffOf, planWrite } from '../write/tree.js';
import { EXIT_FAILED, EXIT_OK, InputError } from '../errors.js';

export const FAIL_ON = [...SEVERITIES, 'none'] as const;
export type FailOn = (typeof FAIL_ON)[number];
export const DEFAULT_FAIL_ON: FailOn = 'high';

interface AuditCommandOptions {
  format?: string;
  failOn?: string;
  shellcheck?: boolean;
  config?: string;
  fix?: boolean;
  dryRun?: boolean;
}

/** `--fix`: write the mechanical fixes all-or-nothing (or print them as a diff), then re-audit. */
function applyFixes(root: string, report: AuditReport, options: AuditOptions, dryRun: boolean): AuditReport {
  const files = collectProjectFiles(root);
  const runner = options.shellcheck === 'off' ? null : (systemShellcheck()?.runner ?? null);
  const fixes = computeFixes(files, report.findings, runner);
  const plan = planWrite(root, fixes.map((f) => ({ path: f.path, content: f.content, mode: f.mode ?? 0o644, strategy: 'replace' as const })), { overwrite: true });
  const count = fixes.reduce((n, f) => n + f.fixed.length, 0);
  const judgement = report.findings.filter((f) => !isFixable(f)).length;
  if (dryRun) {
    for (const change of plan) process.stdout.write(diffOf(change));
    process.stderr.write(`audit --fix --dry-run: would fix ${count} finding${count === 1 ? '' : 's'} in ${fixes.length} file${fixes.length === 1 ? '' : 's'}; nothing written. ${judgement} finding${judgement === 1 ? '' : 's'} need${judgement === 1 ? 's' : ''} judgement.\n`);
    return report;
  }
  commitPlan(root, plan);
  for (const f of fixes) process.stderr.write(`fixed ${f.path}: ${[...new Set(f.fixed)].map((id) => `${id}${f.fixed.filter((x) => x === id).length > 1 ? ` x${f.fixed.filter((x) => x === id).length}` : ''}`).join(', ')}\n`);
  if (fixes.length === 0) process.stderr.write('audit --fix: nothing to fix mechanically\n');
  return auditFiles(collectProjectFiles(root), options);
}

/** Exit code for CI: 1 when any finding is at or above the threshold, else 0. */
export function exitCodeFor(findings: { severity: Severity }[], failOn: FailOn): number {
  if (failOn === 'none') return EXIT_OK;
  return atOrAbove(findings as Parameters<typeof atOrAbove>[0], failOn).length > 0 ? EXIT_FAILED : EXIT_OK;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('audit')
    .description('report hardening problems in a project\'s Dockerfile(s), compose files, .env, .dockerignore and scripts')
    .argument('[dir]', 'the project directory', '.')
    .addOption(new Option('--format <format>', `report format: ${FORMATS.join(' | ')}`).default('text'))
    .addOption(
      new Option('--fail-on <severity>', `exit 1 when a finding is at or above this severity: ${FAIL_ON.join(' | ')}`).default(DEFAULT_FAIL_ON),
    )
    .option('--no-shellcheck', 'do not run shellcheck even if it is installed (built-in minimal script checks)')
    .option('--config <file>', `audit settings (default: ${CONFIG_FILE} in the project, when present)`)
    .option('--fix', 'apply the mechanical fixes (no-new-privileges, cap_drop ALL, log rotation, init, version:, quoting) all-or-nothing, then report what is left')
    .option('--dry-run', 'with --fix: print the fixes as a diff and write nothing')
    .addHelpText(
      'after',
      '\nReads Dockerfile*, docker-compose*.yml / compose*.yaml, .env*, .dockerignore and *.sh (up to\n' +
        '4 directories deep; hidden directories and node_modules/venv are skipped). Each finding has the\n' +
        'hardening-checklist rule id (DF-, CP-, PG-, SH-, EV-, DI-; PI- for this tool\'s own rules), a\n' +
        'severity, file:line, what is wrong, why it matters and how to fix it. Scripts are checked with\n' +
        '`shellcheck -f json1` (optional checks on) when it is installed, otherwise with built-in minimal checks (the report says which).\n\n' +
        'Formats: text (grouped by severity), markdown (summary with a grade A-F, findings table,\n' +
        'prioritised fixes: a report to commit), json ({summary, findings, notes}), sarif (SARIF 2.1.0\n' +
        'for GitHub code scanning), github (workflow annotations), codeclimate (GitLab Code Quality).\n\n' +
        'Ignores: `# create-pyimage: ignore=CP-06 reason="..."` on or above the line (Dockerfile,\n' +
        `compose, .env, scripts), or in ${CONFIG_FILE}:\n` +
        '  severity: {CP-06: low}\n' +
        '  ignore: [{rule: CP-08, path: docker-compose.yml, reason: "...", expires: 2026-12-31}]\n' +
        '  skip: ["legacy/**"]\n' +
        'An ignore without a reason or with an unknown rule id exits 2; one that matches nothing or has\n' +
        'expired is reported (PI-10).\n\n' +
        `Exit codes: 0 nothing at or above --fail-on (default: ${DEFAULT_FAIL_ON}; "none" never fails),\n` +
        '1 findings at or above it, 2 bad input (unknown option value, missing directory, bad ignore or config).\n\n' +
        'Examples:\n' +
        '  npx create-pyimage audit\n' +
        '  npx create-pyimage audit my-service --format markdown > AUDIT.md\n' +
        '  npx create-pyimage audit --format json --fail-on medium\n' +
        '  npx create-pyimage audit --format sarif > create-pyimage.sarif\n' +
        '  npx create-pyimage audit --fix --dry-run',
    )
    .action(async (dir: string, options: AuditCommandOptions) => {
      const format = options.format ?? 'text';
      if (!(FORMATS as readonly string[]).includes(format)) {
        throw new InputError(`--format: "${format}" is not one of ${FORMATS.join(', ')}`);
      }
      const failOn = options.failOn ?? DEFAULT_FAIL_ON;
      if (!(FAIL_ON as readonly string[]).includes(failOn)) {
        throw new InputError(`--fail-on: "${failOn}" is not one of ${FAIL_ON.join(', ')}`);
      }
      if (options.dryRun && !options.fix) throw new InputError('--dry-run: only meaningful with --fix (audit itself never writes)');
      const root = resolve(dir);
      if (!existsSync(root)) throw new InputError(`dir: ${root} does not exist`);
      if (!statSync(root).isDirectory()) throw new InputError(`dir: ${root} is a file; give the project directory`);
      const auditOptions: AuditOptions = {
        shellcheck: options.shellcheck === false ? 'off' : 'auto',
        config: loadConfig(root, options.config === undefined ? undefined : resolve(options.config)),
      };
      let report = auditFiles(collectProjectFiles(root), auditOptions);
      if (report.files.length === 0) {
        throw new InputError(`dir: ${root} has no Dockerfile, compose file, .env, .dockerignore or shell script to audit`);
      }
      if (options.fix) {
        report = applyFixes(root, report, auditOptions, options.dryRun === true);
        if (options.dryRun) return;
      }
      process.stdout.write(formatReport(report, format as Format, packageVersion()));
      setExit(exitCodeFor(report.findings, failOn as FailOn));
    });
}
