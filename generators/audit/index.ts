/**
 * The audit room: files in, findings out. `auditFiles` is pure (no disk; ShellCheck is the one
 * process it may run, and tests pass `shellcheck: 'off'` or a canned runner); `auditProject`
 * reads a directory and calls it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { walkTree } from '../base/walk.js';
import { auditCompose, composeServiceNames, isBaseComposeFile } from './compose.js';
import { auditAutoLoadedDev, isAutoLoadedOverride, isDevComposeFile } from './dev.js';
import { auditDockerfile, type DockerfileFacts } from './dockerfile.js';
import { auditDependencies } from './deps.js';
import { auditDockerignore, isIgnored, parseDockerignore } from './dockerignore.js';
import { auditEnv, auditEnvTemplate, auditGitignore, isEnvTemplate, type EnvEntry } from './env.js';
import { applyIgnores, parseInlineIgnores } from './ignores.js';
import { auditScript, sourcedScripts, systemShellcheck } from './scripts.js';
import { anchorFindings } from './anchor.js';
import { auditStack, isStackFile } from './swarm.js';
import { auditKube, isKubeManifest } from './k8s.js';
import { auditProxies, isProxyConfigPath } from './proxy.js';
import { findBootUnit, isBootUnitPath } from './restart.js';
import { auditWorkflow, isWorkflowFile } from './workflow.js';
import { auditDjango, collectDjangoSettings } from './django.js';
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
import { readYaml } from './source.js';
import { basename, dirname, joinPath, normalisePath, type EnvValue } from './util.js';

export type { AuditConfig, AuditFile, AuditOptions, AuditReport, Finding, Severity } from './types.js';
export { AuditInputError, SEVERITIES } from './types.js';
export { RULES } from './rules.js';

/** Which kind of file this is, by name (and shebang for extension-less scripts). */
export function classify(path: string, content?: string): FileKind | undefined {
  const name = basename(path);
  if (/^Dockerfile(\.[\w.-]+)?$/.test(name) || /\.[Dd]ockerfile$/.test(name)) return 'dockerfile';
  if (/^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(name)) return 'compose';
  if (isStackFile(path)) return 'stack';
  if (isWorkflowFile(path)) return 'workflow';
  // Kubernetes objects are told by their content (apiVersion and kind), whatever the file's name.
  if (content !== undefined && isKubeManifest(path, content)) return 'kubernetes';
  if (name === '.dockerignore') return 'dockerignore';
  if (/^\.env(\..+)?$/.test(name)) return 'env';
  if (/\.(sh|bash)$/.test(name)) return 'script';
  if (content !== undefined && !name.includes('.') && /^#!\s*(\/usr\/bin\/env\s+(ba)?sh|\/bin\/(ba)?sh|\/usr\/bin\/bash)\b/.test(content)) return 'script';
  return undefined;
}

/** Files read for context but not audited themselves: dependency lists, .gitignore, boot units, proxy configuration. */
export type SupportKind = 'gitignore' | 'requirements' | 'pyproject' | 'boot-unit' | 'proxy';

export function supportKind(path: string): SupportKind | undefined {
  const name = basename(path);
  if (name === '.gitignore') return 'gitignore';
  if (name === 'pyproject.toml') return 'pyproject';
  if (isProxyConfigPath(path)) return 'proxy';
  if (isBootUnitPath(path)) return 'boot-unit';
  if (/^requirements[\w.-]*\.(txt|in)$/.test(name) || (/\.txt$/.test(name) && /(^|\/)requirements\//.test(path))) return 'requirements';
  return undefined;
}

/** Today (UTC) as YYYY-MM-DD. */
function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Fingerprints that survive lines moving: rule, file, the offending line's text with whitespace
 * normalised, and how many earlier findings of that rule in that file have the same text.
 */
function fingerprint(findings: Finding[], contents: ReadonlyMap<string, string>): void {
  const lines = new Map<string, string[]>();
  const seen = new Map<string, number>();
  for (const f of [...findings].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.message.localeCompare(b.message))) {
    if (!lines.has(f.file)) lines.set(f.file, (contents.get(f.file) ?? '').split(/\r?\n/));
    const text = f.line > 0 ? (lines.get(f.file)![f.line - 1] ?? '').trim().replace(/\s+/g, ' ') : '';
    const key = `${f.ruleId}\0${f.file}\0${text}`;
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    f.fingerprint = createHash('sha256').update(`${key}\0${index}`).digest('hex').slice(0, 32);
  }
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

/** Each compose file with the .env beside it; a dev file only the dev loop names skips the production rules. */
function auditComposeFiles(
  composeFiles: readonly AuditFile[],
  ctx: { envFiles: Map<string, EnvEntry[]>; dockerfiles: Map<string, DockerfileFacts>; proxyConfigs: Map<string, string>; bootUnit: string | undefined },
): Finding[] {
  const { envFiles, dockerfiles, proxyConfigs, bootUnit } = ctx;
  const findings: Finding[] = [];
  for (const f of composeFiles) {
    const dir = dirname(f.path);
    const dotenv = new Map<string, EnvValue>();
    for (const e of envFiles.get(joinPath(dir, '.env')) ?? []) dotenv.set(e.key, e);
    const isOverride = !isBaseComposeFile(f.path);
    const baseServices = new Set(
      composeFiles.filter((c) => dirname(c.path) === dir && isBaseComposeFile(c.path)).flatMap((c) => composeServiceNames(readYaml(c.path, c.content))),
    );
    const source = readYaml(f.path, f.content);
    // DV-01: development settings in an override production loads by itself.
    findings.push(...auditAutoLoadedDev(f.path, source));
    // A file only the dev loop names (compose.dev.yml) is not held to the production rules.
    if (!isAutoLoadedOverride(f.path) && isDevComposeFile(f.path, source)) continue;
    findings.push(...auditCompose(f.path, f.content, { dotenv, envFiles, dockerfiles, baseServices, isOverride, bootUnit }, source));
    findings.push(...auditProxies(f.path, f.content, dotenv, proxyConfigs));
  }
  return findings;
}

export function auditFiles(input: AuditFile[], options: AuditOptions = {}): AuditReport {
  const config = options.config;
  const skip = parseDockerignore((config?.skip ?? []).join('\n'));
  const all = input
    .map((f) => ({ ...f, path: normalisePath(f.path.replace(/\\/g, '/')) }))
    .filter((f) => !isIgnored(skip, f.path));
  const support = all.flatMap((f) => {
    const kind = supportKind(f.path);
    return kind ? [{ ...f, kind }] : [];
  });
  const files = all
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
  const proxyConfigs = new Map(support.filter((x) => x.kind === 'proxy').map((x) => [x.path, x.content]));
  findings.push(...auditComposeFiles(composeFiles, { envFiles, dockerfiles, proxyConfigs, bootUnit: findBootUnit([...support, ...files]) }));

  for (const f of files.filter((x) => x.kind === 'stack')) findings.push(...auditStack(f.path, f.content));
  for (const f of files.filter((x) => x.kind === 'workflow')) findings.push(...auditWorkflow(f.path, f.content));
  for (const f of files.filter((x) => x.kind === 'kubernetes')) findings.push(...auditKube(f.path, f.content));

  // .dockerignore: one per directory that holds a Dockerfile (its build context).
  const realEnvFiles = files.filter((x) => x.kind === 'env' && !isEnvTemplate(x.path)).map((x) => x.path);
  for (const contextDir of new Set([...dockerfiles.keys()].map(dirname))) {
    const ignore = files.find((x) => x.kind === 'dockerignore' && dirname(x.path) === contextDir);
    findings.push(...auditDockerignore(contextDir, ignore, realEnvFiles));
  }
  // EV-01/EV-04: env templates against the compose files beside them; EV-05: .gitignore.
  for (const f of files.filter((x) => x.kind === 'env' && isEnvTemplate(x.path))) {
    const beside = composeFiles.filter((c) => dirname(c.path) === dirname(f.path));
    findings.push(...auditEnvTemplate(f.path, envFiles.get(f.path) ?? [], beside));
  }
  findings.push(...auditGitignore(support.filter((x) => x.kind === 'gitignore'), realEnvFiles, composeFiles));
  // PI-09: the program CMD / command runs comes from a dependency.
  findings.push(...auditDependencies(dockerfiles, composeFiles, support.filter((x) => x.kind === 'requirements' || x.kind === 'pyproject')));

  const scripts = files.filter((x) => x.kind === 'script');
  if (scripts.length > 0) {
    let runner: ShellcheckRunner | null = null;
    if (typeof options.shellcheck === 'function') runner = options.shellcheck;
    else if (options.shellcheck !== 'off') {
      const system = systemShellcheck();
      const as = options.shellcheckAs ?? ((content: string) => content);
      runner = system ? (content, path) => system.runner(as(content), path) : null;
      system?.prefetch(scripts.map((f) => as(f.content))); // one ShellCheck process for every script
      if (system) notes.push(`scripts checked with ShellCheck ${system.version} (shellcheck -f json1)`);
      else notes.push('shellcheck not installed: minimal script checks used (strict mode, unquoted expansions, read -r, dangerous commands); install shellcheck for the full analysis');
    } else notes.push('ShellCheck disabled: minimal script checks used (strict mode, unquoted expansions, read -r, dangerous commands)');
    let fellBack = false;
    const sourced = sourcedScripts(scripts);
    for (const f of scripts) {
      const result = auditScript(f.path, f.content, { shellcheck: runner, mode: f.mode, sourced: sourced.has(f.path) });
      findings.push(...result.findings);
      if (runner && !result.usedShellcheck) fellBack = true;
    }
    if (fellBack) notes.push('ShellCheck failed on some scripts: minimal script checks used for those');
  }

  // Django's own failure modes: its settings files (auditProject collects them) and the same compose files and Dockerfiles.
  findings.push(...auditDjango(input.map((f) => ({ ...f, path: normalisePath(f.path.replace(/\\/g, '/')) }))));

  if (files.length === 0) notes.push('no Dockerfile, compose file, Kubernetes manifest, .env, .dockerignore or shell script found');

  const unique = new Map<string, Finding>();
  for (const f of findings) unique.set(`${f.ruleId}|${f.file}|${f.line}|${f.message}`, f);
  for (const f of unique.values()) {
    const severity = config?.severity[f.ruleId];
    if (severity) f.severity = severity;
  }
  const inline = files.flatMap((f) => parseInlineIgnores(f.path, f.content, f.kind));
  const { kept, suppressed, problems } = applyIgnores([...unique.values()], inline, config, options.today ?? todayUtc());
  if (suppressed.length > 0) notes.push(`${suppressed.length} finding${suppressed.length === 1 ? '' : 's'} ignored with a reason (inline or ${config?.path ?? '.create-pyimage-audit.yml'})`);
  for (const f of problems) f.severity = config?.severity[f.ruleId] ?? f.severity;
  const contents = new Map(all.map((f) => [f.path, f.content]));
  if (config) contents.set(config.path, config.content ?? '');
  fingerprint([...kept, ...problems, ...suppressed.map((s) => s.finding)], contents);
  anchorFindings([...kept, ...problems, ...suppressed.map((s) => s.finding)], all);
  const sorted = [...kept, ...problems].sort(
    (a, b) => severityRank(a.severity) - severityRank(b.severity) || a.file.localeCompare(b.file) || a.line - b.line || a.ruleId.localeCompare(b.ruleId),
  );
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of sorted) counts[f.severity]++;
  return {
    summary: { ...counts, total: sorted.length, grade: grade(counts), files: files.length },
    findings: sorted,
    notes,
    files: files.map((f) => ({ path: f.path, kind: f.kind })),
    suppressed,
  };
}

const SKIP_DIRS = new Set(['node_modules', '__pycache__', 'venv', 'site-packages', 'dist', 'build', 'target']);
const MAX_DEPTH = 4;
const MAX_BYTES = 1024 * 1024;

/** Read the auditable files of a project directory (hidden and dependency directories skipped). */
export function collectProjectFiles(dir: string): AuditFile[] {
  const out: AuditFile[] = [];
  walkTree(dir, {
    maxDepth: MAX_DEPTH,
    noFollow: true,
    // Hidden directories are skipped, except .github (its workflows are audited).
    enter: ({ name, rel }) => (!name.startsWith('.') || rel === '.github') && !SKIP_DIRS.has(name),
    file: ({ name, path, rel, stats }) => {
      if (!stats.isFile() || stats.size > MAX_BYTES) return;
      // YAML files are read: Kubernetes manifests are told by their content.
      if (!classify(rel) && !supportKind(rel) && name.includes('.') && !/\.ya?ml$/.test(name)) return;
      const content = readFileSync(path, 'utf8');
      if (classify(rel, content) || supportKind(rel)) out.push({ path: rel, content, mode: stats.mode & 0o777 });
    },
  });
  return out;
}

export async function auditProject(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  return auditFiles([...collectProjectFiles(dir), ...collectDjangoSettings(dir)], options);
}

export function atOrAbove(findings: Finding[], threshold: Finding['severity']): Finding[] {
  return findings.filter((f) => severityRank(f.severity) <= severityRank(threshold));
}
