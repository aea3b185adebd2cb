/** `.env*` files: compose's env-file format, read line by line with positions. */
import { readYaml } from './source.js';
import { isIgnored, parseDockerignore } from './dockerignore.js';
import { finding } from './rules.js';
import type { Finding } from './types.js';
import { HOST_SHELL_VARIABLES, PROXY_NAME, SECRET_NAME, basename, dirname, imagePinProblem, isFileReference, isPlaceholder, joinPath, normalisePath, type EnvEntry } from './util.js';

export type { EnvEntry };

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

/** `${NAME}` / `$NAME` references (not `$$` escapes) in compose text, with their lines; comments skipped. */
export function composeVariables(content: string): { name: string; line: number }[] {
  const out: { name: string; line: number }[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*#/.test(raw)) return;
    const text = raw.replace(/\s#(?![^"']*["'][^"']*$).*$/, '');
    const re = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const name = m[1] ?? m[2];
      if (name) out.push({ name, line: i + 1 });
    }
  });
  return out;
}

const SAFE_UID_EXEMPT = /^RENDER_GID$/;

/** EV-01 (complete and minimal against the compose files beside it) and EV-04 (safe defaults). */
export function auditEnvTemplate(path: string, entries: EnvEntry[], composeFiles: { path: string; content: string }[]): Finding[] {
  const findings: Finding[] = [];
  if (composeFiles.length > 0) {
    const keys = new Set(entries.map((e) => e.key));
    const used = new Map<string, { file: string; line: number }>();
    for (const c of composeFiles) {
      for (const v of composeVariables(c.content)) if (!used.has(v.name)) used.set(v.name, { file: c.path, line: v.line });
    }
    for (const [name, where] of used) {
      if (!keys.has(name) && !HOST_SHELL_VARIABLES.has(name)) findings.push(finding('EV-01', where.file, where.line, `\`${name}\` is interpolated here but ${basename(path)} does not list it`));
    }
    // Keys passed whole to containers (env_file) are read by the app, not by compose.
    const passedWhole = composeFiles.some((c) => /^\s+env_file\s*:/m.test(c.content));
    if (!passedWhole) {
      for (const e of entries) {
        if (!used.has(e.key) && !/^(COMPOSE_|DOCKER_)/.test(e.key)) findings.push(finding('EV-01', path, e.line, `\`${e.key}\` is not used by any compose file beside ${basename(path)}`));
      }
    }
  }
  for (const e of entries) {
    const v = e.value.trim();
    if (/(^|_)(BIND_IP|HOST_IP|BIND_ADDRESS|LISTEN_IP)$/i.test(e.key) && /^(0\.0\.0\.0|::|\[::\])$/.test(v)) {
      findings.push(finding('EV-04', path, e.line, `${e.key}=${v} publishes the service on every interface of whoever copies this template`));
    } else if (SAFE_UID_EXEMPT.test(e.key)) {
      if (v !== '') findings.push(finding('EV-04', path, e.line, `${e.key}=${v}: a fixed render GID is only right on the machine it came from; leave it empty`, { severity: 'low' }));
    } else if (/(^|_)(P?UID|P?GID)$/i.test(e.key) && /^\d+$/.test(v) && Number(v) < 10000) {
      findings.push(finding('EV-04', path, e.line, `${e.key}=${v} ${Number(v) === 0 ? 'is root' : 'is below 10000 and may match a host account'}`));
    } else if (/(^|_)IMAGE$/i.test(e.key) && v !== '') {
      const problem = imagePinProblem(v);
      if (problem) findings.push(finding('EV-04', path, e.line, `${e.key}: ${problem}`));
    }
  }
  return findings;
}

/** A .gitignore's patterns as .dockerignore-style patterns relative to its directory. */
function gitignorePatterns(content: string): ReturnType<typeof parseDockerignore> {
  const lines = content.split(/\r?\n/).map((raw) => {
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return '';
    const negate = t.startsWith('!');
    let body = negate ? t.slice(1) : t;
    const anchored = body.replace(/\/$/, '').includes('/');
    body = body.replace(/^\//, '');
    return `${negate ? '!' : ''}${anchored ? '' : '**/'}${body.replace(/\/$/, '')}`;
  });
  return parseDockerignore(lines.join('\n'));
}

/** EV-05, the git half: real env files and compose file secrets must be git-ignored. */
export function auditGitignore(
  gitignores: { path: string; content: string }[],
  realEnvFiles: string[],
  composeFiles: { path: string; content: string }[],
): Finding[] {
  const protect = new Set(realEnvFiles);
  for (const c of composeFiles) {
    // An unparsable compose file has no value here: PI-08 reports it.
    const secrets = (readYaml(c.path, c.content).value as { secrets?: Record<string, { file?: unknown } | null> }).secrets ?? {};
    for (const s of Object.values(secrets)) {
      if (typeof s?.file === 'string' && !s.file.startsWith('/')) protect.add(normalisePath(joinPath(dirname(c.path), s.file)));
    }
  }
  const parsed = gitignores.map((g) => ({ dir: dirname(g.path), path: g.path, patterns: gitignorePatterns(g.content) }));
  const findings: Finding[] = [];
  for (const file of [...protect].sort()) {
    const covering = parsed.filter((g) => g.dir === '' || file.startsWith(`${g.dir}/`));
    const ignored = covering.some((g) => isIgnored(g.patterns, g.dir === '' ? file : file.slice(g.dir.length + 1)));
    if (ignored) continue;
    const where = covering.sort((a, b) => b.dir.length - a.dir.length)[0];
    const pattern = basename(file).startsWith('.env') ? '.env' : `${file.split('/').slice(-2, -1)[0] ?? 'secrets'}/`;
    findings.push(
      where
        ? finding('EV-05', where.path, 0, `\`${file}\` is not git-ignored: add \`${pattern}\``)
        : { ...finding('EV-05', '.gitignore', 0, `no .gitignore: \`${file}\` is one \`git add .\` away from being committed`), anchor: { file, line: 1 } },
    );
  }
  return findings;
}
