/** `.dockerignore`: presence, essential exclusions, and whether real env files would be sent. */
import { finding } from './rules.js';
import type { Finding } from './types.js';
import { joinPath, normalisePath } from './util.js';

interface Pattern {
  negate: boolean;
  regex: RegExp;
  text: string;
  line: number;
}

function globToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(content: string): Pattern[] {
  const out: Pattern[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const negate = text.startsWith('!');
    const body = normalisePath((negate ? text.slice(1) : text).trim().replace(/^\/+/, ''));
    if (body === '') return;
    out.push({ negate, regex: globToRegex(body), text, line: index + 1 });
  });
  return out;
}

/** Docker's rule: the last matching pattern wins; a pattern matching a parent directory excludes its contents. */
export function isIgnored(patterns: Pattern[], path: string): boolean {
  const parts = normalisePath(path).split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const p of patterns) {
    if (candidates.some((c) => p.regex.test(c))) ignored = !p.negate;
  }
  return ignored;
}

const ESSENTIAL: { probe: string; pattern: string }[] = [
  { probe: '.git/config', pattern: '**/.git' },
  { probe: '.env', pattern: '**/.env' },
  { probe: '.env.local', pattern: '**/.env.*' },
  { probe: 'secrets/db_password', pattern: 'secrets/' },
  { probe: '.venv/pyvenv.cfg', pattern: '**/.venv' },
  { probe: 'app/__pycache__/main.cpython-312.pyc', pattern: '**/__pycache__' },
  { probe: 'tls/server.pem', pattern: '**/*.pem' },
  { probe: 'tls/server.key', pattern: '**/*.key' },
];

const SENSITIVE = /(^|\/)(\.env(\.[^/]*)?|secrets?(\/.*)?|[^/]*\.(pem|key)|id_rsa)$/;

/**
 * @param contextDir directory of the build context (where a Dockerfile is), relative to the project
 * @param ignoreFile the `.dockerignore` there, if any
 * @param envFiles real (non-template) env files in the project, relative to the project
 */
export function auditDockerignore(contextDir: string, ignoreFile: { path: string; content: string } | undefined, envFiles: string[]): Finding[] {
  const findings: Finding[] = [];
  const path = ignoreFile?.path ?? joinPath(contextDir, '.dockerignore');
  const prefix = contextDir === '' ? '' : `${contextDir}/`;
  const inContext = envFiles.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
  if (!ignoreFile) {
    findings.push(finding('DI-01', path, 0, `no .dockerignore beside the Dockerfile in ${contextDir || 'the project root'}: the whole directory (VCS, venvs, secrets) is the build context`));
    for (const env of inContext) findings.push(finding('EV-05', path, 0, `\`${env}\` is in the build context and nothing excludes it`));
    return findings;
  }
  const patterns = parseDockerignore(ignoreFile.content);
  const missing = ESSENTIAL.filter((e) => !isIgnored(patterns, e.probe)).map((e) => `\`${e.pattern}\``);
  const firstLine = patterns[0]?.line ?? 0;
  if (missing.length > 0) findings.push(finding('DI-01', path, firstLine, `does not exclude ${missing.join(', ')}`));
  for (const env of inContext) {
    if (!isIgnored(patterns, env)) findings.push(finding('EV-05', path, firstLine, `\`${env}\` exists and is not excluded: \`COPY . .\` copies it into the image`));
  }
  for (const p of patterns) {
    if (!p.negate) continue;
    const body = p.text.slice(1).trim().replace(/^\/+/, '');
    if (SENSITIVE.test(body) && !/\.env\.(example|sample|template)$/.test(body)) {
      findings.push(finding('DI-02', path, p.line, `\`${p.text}\` puts \`${body}\` back into the build context`));
    }
  }
  return findings;
}
