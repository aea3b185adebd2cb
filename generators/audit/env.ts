/** `.env*` files: compose's env-file format, read line by line with positions. */
import { finding } from './rules.js';
import type { Finding } from './types.js';
import { PROXY_NAME, SECRET_NAME, basename, isFileReference, isPlaceholder, type EnvValue } from './util.js';

export interface EnvEntry extends EnvValue {
  key: string;
}

/** Templates that are meant to be committed (as opposed to the local `.env`). */
export function isEnvTemplate(path: string): boolean {
  return /^\.env\.(example|sample|template|dist|defaults?)$/i.test(basename(path));
}

/** Parse a compose env file; `problems` are EV-03 findings. */
export function parseEnv(path: string, content: string): { entries: EnvEntry[]; problems: Finding[] } {
  const entries: EnvEntry[] = [];
  const problems: Finding[] = [];
  content.split(/\r?\n/).forEach((text, index) => {
    const line = index + 1;
    if (/^\s*(#.*)?$/.test(text)) return;
    let body = text;
    if (/^\s*export\s+/.test(body)) {
      problems.push(finding('EV-03', path, line, '`export` prefix: compose reads it but other env-file readers (docker run --env-file, systemd) do not'));
      body = body.replace(/^\s*export\s+/, '');
    }
    const m = /^\s*([^=\s]+)(\s*)=(\s*)(.*)$/.exec(body);
    if (!m) {
      problems.push(finding('EV-03', path, line, `\`${text.trim().slice(0, 40)}\` is not a KEY=value line`));
      return;
    }
    const key = m[1]!;
    if (m[2] || m[3]) problems.push(finding('EV-03', path, line, `spaces around \`=\` in \`${key}\``));
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) problems.push(finding('EV-03', path, line, `\`${key}\` is not a valid variable name`));
    let value = m[4]!;
    const quoted = /^(["'])(.*)\1\s*(#.*)?$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '').trim();
    entries.push({ key, value, file: path, line });
  });
  return { entries, problems };
}

export function auditEnv(path: string, content: string): { findings: Finding[]; entries: EnvEntry[] } {
  const { entries, problems } = parseEnv(path, content);
  const findings = [...problems];
  const template = isEnvTemplate(path);
  for (const e of entries) {
    if (PROXY_NAME.test(e.key) && e.value !== '') {
      findings.push(finding('PI-05', path, e.line, `${e.key}=${e.value} is hard-coded${template ? ' in a committed template' : ''}`));
      continue;
    }
    if (template && SECRET_NAME.test(e.key) && !isFileReference(e.key, e.value) && !isPlaceholder(e.value)) {
      findings.push(finding('EV-02', path, e.line, `${e.key} has a real-looking value in ${basename(path)}, which is committed`));
    }
  }
  return { findings, entries };
}
