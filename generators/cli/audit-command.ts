/**
 * `create-pyimage audit [dir]`: read a project's Dockerfiles, compose files, .env files,
 * .dockerignore and shell scripts, and report hardening findings. See generators/audit/.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { atOrAbove, auditProject } from '../audit/index.js';
import { FORMATS, formatReport, type Format } from '../audit/format.js';
import { SEVERITIES, type Severity } from '../audit/types.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UserError } from '../errors.js';

export const FAIL_ON = [...SEVERITIES, 'none'] as const;
export type FailOn = (typeof FAIL_ON)[number];
export const DEFAULT_FAIL_ON: FailOn = 'high';

interface AuditCommandOptions {
  format?: string;
  failOn?: string;
  shellcheck?: boolean;
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
    .addHelpText(
      'after',
      '\nReads Dockerfile*, docker-compose*.yml / compose*.yaml, .env*, .dockerignore and *.sh (up to\n' +
        '4 directories deep; hidden directories and node_modules/venv are skipped). Each finding has the\n' +
        'hardening-checklist rule id (DF-, CP-, PG-, SH-, EV-, DI-; PI- for this tool\'s own rules), a\n' +
        'severity, file:line, what is wrong, why it matters and how to fix it. Scripts are checked with\n' +
        '`shellcheck -f json` when it is installed, otherwise with built-in minimal checks (the report says which).\n\n' +
        'Formats: text (grouped by severity), markdown (summary with a grade A-F, findings table,\n' +
        'prioritised fixes: a report to commit), json ({summary, findings, notes}).\n\n' +
        `Exit codes: 0 nothing at or above --fail-on (default: ${DEFAULT_FAIL_ON}; "none" never fails),\n` +
        '1 findings at or above it, 2 bad input (unknown option value, missing directory).\n\n' +
        'Examples:\n' +
        '  npx create-pyimage audit\n' +
        '  npx create-pyimage audit my-service --format markdown > AUDIT.md\n' +
        '  npx create-pyimage audit --format json --fail-on medium',
    )
    .action(async (dir: string, options: AuditCommandOptions) => {
      const format = options.format ?? 'text';
      if (!(FORMATS as readonly string[]).includes(format)) {
        throw new UserError(`--format: "${format}" is not one of ${FORMATS.join(', ')}`, EXIT_USAGE);
      }
      const failOn = options.failOn ?? DEFAULT_FAIL_ON;
      if (!(FAIL_ON as readonly string[]).includes(failOn)) {
        throw new UserError(`--fail-on: "${failOn}" is not one of ${FAIL_ON.join(', ')}`, EXIT_USAGE);
      }
      const root = resolve(dir);
      if (!existsSync(root)) throw new UserError(`dir: ${root} does not exist`, EXIT_USAGE);
      if (!statSync(root).isDirectory()) throw new UserError(`dir: ${root} is a file; give the project directory`, EXIT_USAGE);
      const report = await auditProject(root, { shellcheck: options.shellcheck === false ? 'off' : 'auto' });
      if (report.files.length === 0) {
        throw new UserError(`dir: ${root} has no Dockerfile, compose file, .env, .dockerignore or shell script to audit`, EXIT_USAGE);
      }
      process.stdout.write(formatReport(report, format as Format));
      setExit(exitCodeFor(report.findings, failOn as FailOn));
    });
}
