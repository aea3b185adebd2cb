/** What generation found and decided, as lines for a log (the CLI's stderr; the API's `log`, or nothing). */
import { generationNotes } from '../answers/notes.js';
import type { Detection } from '../answers/detect.js';
import { SERVER_PINS, serverPackages } from '../answers/schema.js';
import type { Answers } from '../answers/types.js';
import { describeSettings } from '../answers/wiring.js';

export function detectionLines(detection: Detection): string[] {
  return [...detection.notes.map((note) => `  found: ${note}`), ...detection.warnings.map((warning) => `  note: ${warning}`)];
}

/** The server, the settings and the writable state, as generation decided them: one line each. */
export function settingsLines(answers: Answers, detection: Detection): string[] {
  const lines: string[] = [];
  if (answers.installServer) {
    const pins = serverPackages(answers.framework, answers.server).map((p) => SERVER_PINS[p]);
    lines.push(`  server: the dependencies lack ${answers.server}: the image installs ${pins.join(' ')} (SERVER_PACKAGES in .env changes it)`);
  }
  const settings = describeSettings(answers, detection.facts);
  if (settings.length > 0) {
    lines.push('  settings (app, worker and migrate; secrets are filled from secrets/ at start):');
    for (const line of settings) lines.push(`    ${line}`);
  }
  for (const dir of answers.stateDirs) lines.push(`  writable: ${dir} (a named volume; scripts/backup-state.sh saves it)`);
  for (const line of generationNotes(answers, detection.facts)) lines.push(`  ${line.startsWith('warning: ') ? line : `run: ${line}`}`);
  return lines;
}

/** After a write: the files changed, the self-audit, and what to run next. */
export function doneLines(where: string, planText: string, auditMessage: string, healthPath: string): string[] {
  return [
    planText,
    `\n${auditMessage}`,
    `\nDone. Next (README.Docker.md explains every file):\n  cd ${where}\n` +
      '  scripts/up.sh          # build, start, wait until healthy\n' +
      `  scripts/smoke-test.sh  # prove it: build, start, probe ${healthPath}, tear down\n` +
      '  scripts/dev.sh         # develop: the same stack, reload server, edits synced (Ctrl-C stops it)',
  ];
}
