/**
 * PI-09: the program a container starts (CMD / ENTRYPOINT, or a compose `command:`) must be
 * installed. Programs that come from a Python distribution (gunicorn, uvicorn, celery...) must be
 * provided by the dependency file the Dockerfile installs or by an explicit `pip install`.
 * When the Dockerfile installs from a file this audit cannot read, nothing is reported.
 */
import { parse as parseToml } from 'smol-toml';
import { isMap, isScalar } from 'yaml';
import { readYaml } from './source.js';
import { normaliseDistribution, requirementName, type DockerfileFacts } from './dockerfile.js';
import { effectiveArgv, programOf } from './program.js';
import { finding } from './rules.js';
import type { Finding } from './types.js';
import { asRecord, basename, dirname, joinPath, normalisePath } from './util.js';

interface SupportFile {
  path: string;
  content: string;
  kind: string;
}

/** Distributions a requirement brings that matter here (a top-level list is not a lock file). */
function implied(spec: string, name: string): string[] {
  const extras = (/\[([^\]]*)\]/.exec(spec)?.[1] ?? '').split(',').map((e) => e.trim().toLowerCase());
  const out = [name];
  if (name === 'fastapi' && (extras.includes('standard') || extras.includes('all'))) out.push('uvicorn');
  if (name === 'uvicorn-worker') out.push('uvicorn', 'gunicorn');
  if (name === 'flask-migrate') out.push('alembic');
  if (name === 'django-rq' || name === 'flask-rq2' || name === 'rq-scheduler') out.push('rq');
  if (name.startsWith('flask-')) out.push('flask');
  if (name.startsWith('django-')) out.push('django');
  return out;
}

/** Distributions listed by a requirements file, following `-r` includes. */
function requirementsOf(path: string, files: ReadonlyMap<string, SupportFile>, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  const file = files.get(path);
  if (!file || seen.has(path)) return out;
  seen.add(path);
  for (const raw of file.content.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const include = /^(-r|--requirement)(?:\s+|=)(\S+)/.exec(line);
    if (include) {
      for (const d of requirementsOf(normalisePath(joinPath(dirname(path), include[2]!)), files, seen)) out.add(d);
      continue;
    }
    const egg = /#egg=([A-Za-z0-9._-]+)/.exec(raw)?.[1];
    if (line.startsWith('-')) {
      if (egg) out.add(normaliseDistribution(egg));
      continue;
    }
    const name = requirementName(line);
    if (name) for (const d of implied(line, name)) out.add(d);
  }
  return out;
}

function pyprojectOf(file: SupportFile): Set<string> {
  const out = new Set<string>();
  let data: Record<string, unknown>;
  try {
    data = parseToml(file.content) as Record<string, unknown>;
  } catch {
    return out;
  }
  const project = data.project as { dependencies?: unknown } | undefined;
  for (const spec of Array.isArray(project?.dependencies) ? project.dependencies.map(String) : []) {
    const name = requirementName(spec);
    if (name) for (const d of implied(spec, name)) out.add(d);
  }
  const poetry = ((data.tool as Record<string, unknown> | undefined)?.poetry as { dependencies?: Record<string, unknown> } | undefined)?.dependencies;
  for (const [name, value] of Object.entries(poetry ?? {})) {
    const extras = Array.isArray((value as { extras?: unknown })?.extras) ? `[${((value as { extras: string[] }).extras).join(',')}]` : '';
    if (name.toLowerCase() !== 'python') for (const d of implied(`${name}${extras}`, normaliseDistribution(name))) out.add(d);
  }
  return out;
}

const DEP_FILE = /^(requirements[\w.-]*\.(txt|in)|pyproject\.toml|Pipfile(\.lock)?|setup\.(py|cfg)|poetry\.lock|uv\.lock)$/;
/** A dependency file named by a relative path in a RUN command (`-r requirements.txt`); `/tmp/...` is the image's own. */
const RELATIVE_MENTION = /(?:^|[\s"'=])((?:[\w.-]+\/)*(?:requirements[\w.-]*\.(?:txt|in)|pyproject\.toml|Pipfile|setup\.py))\b/gm;
const INSTALLS_PROJECT = /\binstall\s+(?:-\S+\s+)*["']?\.(?:\[[^\]]*\])?["']?(\s|$)|\buv\s+sync\b|\bpoetry\s+install\b/m;

/** Build-context paths a Dockerfile reads: COPY/ADD sources and `--mount=type=bind,source=...` (not from other stages). */
function contextSources(content: string): string[] {
  const out: string[] = [];
  for (const m of content.matchAll(/--mount=(\S+)/g)) {
    const opts = m[1]!.split(',');
    if (opts.includes('type=bind') && !opts.some((o) => o.startsWith('from='))) {
      const source = opts.find((o) => /^(source|src)=/.test(o));
      out.push(source ? source.slice(source.indexOf('=') + 1) : '.');
    }
  }
  for (const m of content.matchAll(/^\s*(?:COPY|ADD)\s+((?:--\S+\s+)*)(.+)$/gim)) {
    if (/--from=/.test(m[1]!)) continue;
    const words = m[2]!.replace(/\\\s*$/, '').trim().split(/\s+/);
    out.push(...words.slice(0, -1));
  }
  return out.map((s) => normalisePath(s.replace(/^["']|["']$/g, '')) || '.');
}

/**
 * What the Dockerfile's dependency files provide, or undefined when it installs from a file this
 * audit cannot read (not in the project, or a format it does not parse).
 */
function providedByFiles(facts: DockerfileFacts, contextDir: string, files: ReadonlyMap<string, SupportFile>): { names: Set<string>; files: string[] } | undefined {
  const sources = contextSources(facts.content);
  const named = new Set(sources.filter((s) => DEP_FILE.test(basename(s))));
  const wholeContext = sources.some((s) => s === '.' || !basename(s).includes('.'));
  // A relative mention in a RUN reads the copied context (`COPY . .` then `-r requirements.txt`).
  if (wholeContext) for (const m of facts.content.matchAll(RELATIVE_MENTION)) named.add(normalisePath(m[1]!));
  if (wholeContext && INSTALLS_PROJECT.test(facts.content)) named.add('pyproject.toml');
  const names = new Set<string>();
  const used: string[] = [];
  for (const name of named) {
    if (/(^|\/)(poetry\.lock|uv\.lock)$/.test(name)) continue; // read through pyproject.toml
    const path = normalisePath(joinPath(contextDir, name));
    const file = files.get(path);
    if (!file || /(^|\/)(Pipfile|setup\.)/.test(name)) return undefined;
    for (const d of file.kind === 'pyproject' ? pyprojectOf(file) : requirementsOf(path, files)) names.add(d);
    used.push(path);
  }
  return { names, files: used };
}

const PLAIN_PYTHON = /^(?:(?:docker\.io\/)?(?:library\/)?python|cgr\.dev\/chainguard\/python|gcr\.io\/distroless\/python3(?:-debian\d+)?)(?::|@|$)/;

function check(
  facts: DockerfileFacts,
  contextDir: string,
  argv: string[],
  where: { file: string; line: number; what: string },
  files: ReadonlyMap<string, SupportFile>,
): Finding[] {
  const program = programOf(argv);
  if (!program?.distribution) return [];
  const dist = program.distribution;
  if (facts.installs.has(dist)) return [];
  // Only a plain Python base image is known not to ship the program itself.
  if (!PLAIN_PYTHON.test(facts.baseImage)) return [];
  const fromFiles = providedByFiles(facts, contextDir, files);
  if (fromFiles === undefined || fromFiles.names.has(dist)) return [];
  if (fromFiles.files.length === 0 && facts.installs.size === 0) return []; // installs nothing we can see
  const sources = fromFiles.files.length > 0 ? fromFiles.files.map((f) => basename(f)).join(', ') : 'the packages it installs';
  const target = fromFiles.files.find((f) => /requirements/.test(f)) ?? fromFiles.files[0] ?? 'requirements.txt';
  const command = program.executable === argv[0] && program.server && program.executable !== program.server && /python/.test(program.executable) ? `python -m ${program.server}` : `\`${program.executable}\``;
  return [
    finding('PI-09', where.file, where.line, `${where.what} starts ${command}, from the Python package \`${dist}\`, but neither ${sources} nor a \`pip install\` in ${basename(facts.path)} installs it: the container exits with "executable file not found" and restarts in a loop`, {
      fix: `Add \`${dist}\` to ${/pyproject\.toml$/.test(target) ? '`[project].dependencies` in pyproject.toml' : basename(target)} (pinned, e.g. \`${dist}==<version>\`), or re-run \`npx create-pyimage\`, which installs a pinned one.`,
    }),
  ];
}

export function auditDependencies(
  dockerfiles: ReadonlyMap<string, DockerfileFacts>,
  composeFiles: { path: string; content: string }[],
  support: SupportFile[],
): Finding[] {
  const files = new Map(support.map((f) => [f.path, f]));
  const findings: Finding[] = [];
  for (const facts of dockerfiles.values()) {
    const { cmd, entrypoint } = facts.commands();
    const argv = effectiveArgv(entrypoint?.argv, cmd?.argv);
    const line = (cmd ?? entrypoint)?.line;
    if (line !== undefined) findings.push(...check(facts, dirname(facts.path), argv, { file: facts.path, line, what: cmd ? 'CMD' : 'ENTRYPOINT' }, files));
  }
  for (const compose of composeFiles) {
    const { doc, errors, lineAt } = readYaml(compose.path, compose.content);
    if (errors.length > 0) continue;
    const services = doc.get('services');
    if (!isMap(services)) continue;
    for (const pair of services.items) {
      const svc = asRecord((pair.value as { toJSON?: () => unknown } | null)?.toJSON?.());
      if (!svc || svc.build === undefined || svc.command === undefined) continue;
      const build = svc.build;
      const context = normalisePath(joinPath(dirname(compose.path), typeof build === 'string' ? build : String(asRecord(build)?.context ?? '.')));
      const dockerfile = normalisePath(joinPath(context, typeof build === 'string' ? 'Dockerfile' : String(asRecord(build)?.dockerfile ?? 'Dockerfile')));
      const facts = dockerfiles.get(dockerfile);
      if (!facts) continue;
      const target = asRecord(build)?.target;
      const { entrypoint } = facts.commands(typeof target === 'string' ? target : undefined);
      const command = Array.isArray(svc.command) ? svc.command.map(String) : String(svc.command).trim().split(/\s+/);
      const commandNode = isMap(pair.value) ? pair.value.items.find((p) => isScalar(p.key) && p.key.value === 'command') : undefined;
      const offset = (commandNode?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
      const line = lineAt(offset);
      const name = isScalar(pair.key) ? String(pair.key.value) : 'service';
      findings.push(...check(facts, context, effectiveArgv(entrypoint?.argv, command), { file: compose.path, line, what: `service \`${name}\`'s command` }, files));
    }
  }
  return findings;
}
