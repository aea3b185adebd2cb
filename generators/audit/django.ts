/**
 * Django's own failure modes (DJ-xx): DEBUG on in a production compose file, ALLOWED_HOSTS = ['*']
 * and a literal SECRET_KEY in the settings (read with the Python parser), and `runserver` as the
 * command of an image or a service. Development settings and override compose files are left alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { readYaml } from './source.js';
import { projectPythonFiles } from '../answers/scan/files.js';
import { assignParts, PyFile, someDescendant, type PyNode } from '../answers/scan/python.js';
import { isBaseComposeFile } from './compose.js';
import { finding } from './rules.js';
import type { AuditFile, Finding } from './types.js';
import { shellWords } from './shell.js';
import { basename } from './util.js';

/** settings.py, settings/<name>.py, settings_<name>.py, <name>_settings.py. */
export function isSettingsFile(path: string): boolean {
  return /(^|\/)(settings\.py|settings\/[^/]+\.py|settings_[^/]+\.py|[^/]+_settings\.py)$/.test(path);
}

/** Settings meant for a developer's machine or the tests: DEBUG and a fixed key are fine there. */
function isDevelopmentSettings(path: string): boolean {
  return /(^|[/_.-])(dev|devel|develop|development|local|test|tests|testing|ci)([/_.-]|$)/i.test(path.replace(/\.py$/, ''));
}

const TRUTHY = /^(true|1|yes|on)$/i;

/** The Django settings files of a project, for `auditFiles` (which reads no Python on its own). */
export function collectDjangoSettings(dir: string): AuditFile[] {
  const out: AuditFile[] = [];
  for (const rel of projectPythonFiles(dir).filter(isSettingsFile)) {
    try {
      const content = readFileSync(join(dir, rel), 'utf8');
      if (/SECRET_KEY|ALLOWED_HOSTS/.test(content)) out.push({ path: rel, content });
    } catch {
      /* unreadable: nothing to say */
    }
  }
  return out;
}

function moduleLevelAssignments(file: PyFile): { name: string; value: PyNode; line: number }[] {
  const out: { name: string; value: PyNode; line: number }[] = [];
  for (let statement = file.tree.topNode.firstChild; statement; statement = statement.nextSibling) {
    if (statement.name !== 'AssignStatement') continue;
    const [target, value] = assignParts(statement);
    if (target?.name === 'VariableName' && value) out.push({ name: file.text(target), value, line: file.line(statement) });
  }
  return out;
}

function auditSettings(path: string, content: string): Finding[] {
  if (isDevelopmentSettings(path)) return [];
  const file = new PyFile(path, '', content);
  const findings: Finding[] = [];
  for (const { name, value, line } of moduleLevelAssignments(file)) {
    if (name === 'ALLOWED_HOSTS' && someDescendant(value, (n) => n.name === 'String' && file.stringValue(n) === '*')) {
      findings.push(finding('DJ-02', path, line, "ALLOWED_HOSTS accepts any host ('*')"));
    }
    if (name === 'SECRET_KEY') {
      if (value.name === 'String' || value.name === 'ContinuedString') {
        findings.push(finding('DJ-03', path, line, 'SECRET_KEY is a string literal in the settings'));
      } else if (value.name === 'CallExpression') {
        // os.environ.get("SECRET_KEY", "django-insecure-...") / config("SECRET_KEY", default="..."): the fallback is the key.
        const args = file.args(value);
        const fallback = args.keywords.get('default') ?? args.positional[1];
        const text = fallback && file.stringValue(fallback);
        if (text) findings.push(finding('DJ-03', path, line, 'SECRET_KEY falls back to a literal key when the variable is unset'));
      }
    }
  }
  return findings;
}

function yamlLine(node: YamlNode | null | undefined, lineAt: (offset: number) => number): number {
  return node?.range ? lineAt(node.range[0]) : 0;
}

/** The command as words: a YAML list, or a string split like the shell. */
function words(node: unknown): string[] {
  if (isSeq(node)) return node.items.map((i) => (isScalar(i) ? String(i.value) : ''));
  if (isScalar(node)) {
    try {
      return shellWords(String(node.value));
    } catch {
      return String(node.value).split(/\s+/);
    }
  }
  return [];
}

function auditComposeFile(path: string, content: string): Finding[] {
  if (!isBaseComposeFile(path)) return [];
  const { doc, errors, lineAt } = readYaml(path, content);
  if (errors.length > 0) return []; // PI-08 reports it
  const services = doc.get('services', true);
  if (!isMap(services)) return [];
  const findings: Finding[] = [];
  for (const pair of services.items) {
    const service = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (!isMap(pair.value)) continue;
    const environment = pair.value.get('environment', true);
    const entries: { name: string; value: string; node: YamlNode }[] = [];
    if (isMap(environment)) {
      for (const e of environment.items) if (isScalar(e.key) && isScalar(e.value)) entries.push({ name: String(e.key.value), value: String(e.value.value), node: e.key });
    } else if (isSeq(environment)) {
      for (const item of environment.items) {
        if (!isScalar(item)) continue;
        const [name, ...rest] = String(item.value).split('=');
        entries.push({ name: name!, value: rest.join('='), node: item });
      }
    }
    for (const e of entries) {
      if (/^(DJANGO_)?DEBUG$/.test(e.name) && TRUTHY.test(e.value.trim())) {
        findings.push(finding('DJ-01', path, yamlLine(e.node, lineAt), `service ${service} sets ${e.name}=${e.value}`));
      }
      if (/^(DJANGO_)?ALLOWED_HOSTS$/.test(e.name) && e.value.split(/[\s,]+/).includes('*')) {
        findings.push(finding('DJ-02', path, yamlLine(e.node, lineAt), `service ${service} sets ${e.name}=${e.value}`));
      }
    }
    const command = pair.value.get('command', true);
    // Also inside `sh -c "... && python manage.py runserver"`.
    if (words(command).some((w) => /(^|\s)runserver(\s|$)/.test(w))) {
      findings.push(finding('DJ-04', path, yamlLine(command as YamlNode, lineAt), `service ${service} runs Django's development server (runserver)`));
    }
  }
  return findings;
}

function auditDockerfileCommands(path: string, content: string): Finding[] {
  const findings: Finding[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let instruction = lines[i]!;
    while (/\\\s*$/.test(instruction) && i + 1 < lines.length) instruction = instruction.replace(/\\\s*$/, ' ') + lines[++i];
    const m = /^\s*(CMD|ENTRYPOINT)\s+(.*)$/i.exec(instruction);
    if (m && /(^|[\s"'[,])runserver([\s"',\]]|$)/.test(m[2]!)) {
      findings.push(finding('DJ-04', path, start + 1, `${m[1]!.toUpperCase()} runs Django's development server (runserver)`));
    }
  }
  return findings;
}

/** DJ-xx findings for the files handed to the audit (settings files come from collectDjangoSettings). */
export function auditDjango(files: AuditFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const f of files) {
    if (f.path.endsWith('.py')) {
      if (isSettingsFile(f.path)) findings.push(...auditSettings(f.path, f.content));
    } else if (/^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(basename(f.path))) {
      findings.push(...auditComposeFile(f.path, f.content));
    } else if (/^Dockerfile(\.[\w.-]+)?$/.test(basename(f.path)) || /\.[Dd]ockerfile$/.test(f.path)) {
      findings.push(...auditDockerfileCommands(f.path, f.content));
    }
  }
  return findings;
}
