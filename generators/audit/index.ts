/**
 * The audit room: files in, findings out. `auditFiles` is pure (no disk; ShellCheck is the one
 * process it may run, and tests pass `shellcheck: 'off'` or a canned runner); `auditProject`
 * reads a directory and calls it.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditCompose, composeServiceNames, isBaseComposeFile } from './compose.js';
import { auditDockerfile, type DockerfileFacts } from './dockerfile.js';
import { auditDockerignore } from './dockerignore.js';
import { auditDjango, collectDjangoSettings } from './django.js';
import { auditEnv, isEnvTemplate, type EnvEntry } from './env.js';
import { auditScript, systemShellcheck } from './scripts.js';
import {
  SEVERITIES,
  severityRank,
  type AuditFile,
  type AuditOptions,
  type AuditReport,
  type FileKind,
  type Finding,
  type Grade,
  type ShellcheckRunner,
} from './types.js';
import { basename, dirname, joinPath, normalisePath, type EnvValue } from './util.js';

export type { AuditFile, AuditOptions, AuditReport, Finding, Severity } from './types.js';
export { SEVERITIES } from './types.js';
export { RULES } from './rules.js';

/** Which kind of file this is, by name (and shebang for extension-less scripts). */
export function classify(path: string, content?: string): FileKind | undefined {
  const name = basename(path);
  if (/^Dockerfile(\.[\w.-]+)?$/.test(name) || /\.[Dd]ockerfile$/.test(name)) return 'dockerfile';
  if (/^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(name)) return 'compose';
  if (name === '.dockerignore') return 'dockerignore';
  if (/^\.env(\..+)?$/.test(name)) return 'env';
  if (/\.(sh|bash)$/.test(name)) return 'script';
  if (content !== undefined && !name.includes('.') && /^#!\s*(\/usr\/bin\/env\s+(ba)?sh|\/bin\/(ba)?sh|\/usr\/bin\/bash)\b/.test(content)) return 'script';
  return undefined;
}

const WEIGHTS = { critical: 10, high: 5, medium: 2, low: 1 } as const;

/** A..F from weighted counts: any critical caps the grade at D, three or more at F. */
export function grade(counts: Record<'critical' | 'high' | 'medium' | 'low', number>): Grade {
  const score = SEVERITIES.reduce((sum, s) => sum + counts[s] * WEIGHTS[s], 0);
  if (counts.critical >= 3 || score > 50) return 'F';
  if (counts.critical > 0 || score > 25) return 'D';
  if (score > 10) return 'C';
  if (counts.high > 0 || score > 3) return 'B';
  return 'A';
}

export function auditFiles(input: AuditFile[], options: AuditOptions = {}): AuditReport {
  const files = input
    .map((f) => ({ ...f, path: normalisePath(f.path.replace(/\\/g, '/')) }))
    .map((f) => ({ ...f, kind: classify(f.path, f.content) }))
    .filter((f): f is AuditFile & { kind: FileKind } => f.kind !== undefined)
    .sort((a, b) => a.path.localeCompare(b.path));
  const findings: Finding[] = [];
  const notes: string[] = [];

  // Dockerfiles first: compose checks use what they contain.
  const dockerfiles = new Map<string, DockerfileFacts>();
  for (const f of files.filter((x) => x.kind === 'dockerfile')) {
    const result = auditDockerfile(f.path, f.content);
    findings.push(...result.findings);
    dockerfiles.set(f.path, result.facts);
  }

  const envFiles = new Map<string, EnvEntry[]>();
  for (const f of files.filter((x) => x.kind === 'env')) {
    const result = auditEnv(f.path, f.content);
    findings.push(...result.findings);
    envFiles.set(f.path, result.entries);
  }

  const composeFiles = files.filter((x) => x.kind === 'compose');
  for (const f of composeFiles) {
    const dir = dirname(f.path);
    const dotenv = new Map<string, EnvValue>();
    for (const e of envFiles.get(joinPath(dir, '.env')) ?? []) dotenv.set(e.key, e);
    const isOverride = !isBaseComposeFile(f.path);
    const baseServices = new Set(
      composeFiles.filter((c) => dirname(c.path) === dir && isBaseComposeFile(c.path)).flatMap((c) => composeServiceNames(c.content)),
    );
    findings.push(...auditCompose(f.path, f.content, { dotenv, envFiles, dockerfiles, baseServices, isOverride }));
  }

  // .dockerignore: one per directory that holds a Dockerfile (its build context).
  const realEnvFiles = files.filter((x) => x.kind === 'env' && !isEnvTemplate(x.path)).map((x) => x.path);
  for (const contextDir of new Set([...dockerfiles.keys()].map(dirname))) {
    const ignore = files.find((x) => x.kind === 'dockerignore' && dirname(x.path) === contextDir);
    findings.push(...auditDockerignore(contextDir, ignore, realEnvFiles));
  }

  const scripts = files.filter((x) => x.kind === 'script');
  if (scripts.length > 0) {
    let runner: ShellcheckRunner | null = null;
    if (typeof options.shellcheck === 'function') runner = options.shellcheck;
    else if (options.shellcheck !== 'off') {
      const system = systemShellcheck();
      runner = system?.runner ?? null;
      if (system) notes.push(`scripts checked with ShellCheck ${system.version} (shellcheck -f json)`);
      else notes.push('shellcheck not installed: minimal script checks used (strict mode, unquoted expansions, read -r, dangerous commands); install shellcheck for the full analysis');
    } else notes.push('ShellCheck disabled: minimal script checks used (strict mode, unquoted expansions, read -r, dangerous commands)');
    let fellBack = false;
    for (const f of scripts) {
      const result = auditScript(f.path, f.content, { shellcheck: runner, mode: f.mode });
      findings.push(...result.findings);
      if (runner && !result.usedShellcheck) fellBack = true;
    }
    if (fellBack) notes.push('ShellCheck failed on some scripts: minimal script checks used for those');
  }

  // Django's own failure modes: its settings files (auditProject collects them) and the same compose files and Dockerfiles.
  findings.push(...auditDjango(input.map((f) => ({ ...f, path: normalisePath(f.path.replace(/\\/g, '/')) }))));

  if (files.length === 0) notes.push('no Dockerfile, compose file, .env, .dockerignore or shell script found');

  const unique = new Map<string, Finding>();
  for (const f of findings) unique.set(`${f.ruleId}|${f.file}|${f.line}|${f.message}`, f);
  const sorted = [...unique.values()].sort(
    (a, b) => severityRank(a.severity) - severityRank(b.severity) || a.file.localeCompare(b.file) || a.line - b.line || a.ruleId.localeCompare(b.ruleId),
  );
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of sorted) counts[f.severity]++;
  return {
    summary: { ...counts, total: sorted.length, grade: grade(counts), files: files.length },
    findings: sorted,
    notes,
    files: files.map((f) => ({ path: f.path, kind: f.kind })),
  };
}

const SKIP_DIRS = new Set(['node_modules', '__pycache__', 'venv', 'site-packages', 'dist', 'build', 'target']);
const MAX_DEPTH = 4;
const MAX_BYTES = 1024 * 1024;

/** Read the auditable files of a project directory (hidden and dependency directories skipped). */
export function collectProjectFiles(dir: string): AuditFile[] {
  const out: AuditFile[] = [];
  const walk = (abs: string, rel: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(abs);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      const absPath = join(abs, name);
      const relPath = joinPath(rel, name);
      let stat;
      try {
        stat = lstatSync(absPath);
      } catch {
        continue;
      }
      if (stat.isDirectory()) {
        if (depth < MAX_DEPTH && !name.startsWith('.') && !SKIP_DIRS.has(name)) walk(absPath, relPath, depth + 1);
        continue;
      }
      if (!stat.isFile() || stat.size > MAX_BYTES) continue;
      if (!classify(relPath) && name.includes('.')) continue;
      const content = readFileSync(absPath, 'utf8');
      if (classify(relPath, content)) out.push({ path: relPath, content, mode: stat.mode & 0o777 });
    }
  };
  walk(dir, '', 0);
  return out;
}

export async function auditProject(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  return auditFiles([...collectProjectFiles(dir), ...collectDjangoSettings(dir)], options);
}

export function atOrAbove(findings: Finding[], threshold: Finding['severity']): Finding[] {
  return findings.filter((f) => severityRank(f.severity) <= severityRank(threshold));
}
