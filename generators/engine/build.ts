/**
 * `create-pyimage build`: the seed build contract for scripts. In: {dockerfilePath, buildContext?,
 * buildArgs?, tag?, network?}; out: {imageId, tag, size, success, message}. Input is checked field
 * by field (BuildInputError names the field) and the files the Dockerfile needs from its context
 * (COPY/ADD sources, RUN --mount=type=bind sources) are checked before the engine is asked, so a
 * missing requirements file says so instead of failing deep in BuildKit's log.
 */
import { InputError } from '../errors.js';
import { engineFacts } from './engines.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { docker, inspectImage } from './docker.js';

export interface BuildInput {
  /** The Dockerfile to build. */
  dockerfilePath: string;
  /** The build context (default: the Dockerfile's directory). */
  buildContext?: string;
  /** --build-arg values. */
  buildArgs?: Record<string, string>;
  /** The image tag (default: `<context directory name>:latest`). */
  tag?: string;
  /** The build's network, e.g. "host" to reach a package index on this machine's loopback. */
  network?: string;
}

export interface BuildResult {
  imageId: string | null;
  tag: string | null;
  /** Bytes, as `docker image inspect` reports them; null when nothing was built. */
  size: number | null;
  success: boolean;
  message: string;
}

/** Bad input: the message names the field; exit code 2. */
export class BuildInputError extends InputError {
  declare readonly field: string;
  constructor(field: string, message: string) {
    super(message, field);
    this.name = 'BuildInputError';
  }
}

const KEYS = ['dockerfilePath', 'buildContext', 'buildArgs', 'tag', 'network'] as const;
// A docker image reference: [registry[:port]/]name[/name...][:tag], lower-case names.
const TAG = /^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;
const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks an input object (parsed JSON or flags) and resolves paths against `cwd`. */
export function parseBuildInput(raw: unknown, cwd = process.cwd()): Required<Omit<BuildInput, 'network'>> & { network?: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BuildInputError('input', 'expected a JSON object like {"dockerfilePath": "Dockerfile"}');
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new BuildInputError(key, `unknown key; allowed: ${KEYS.join(', ')}`);
  }
  const text = (key: (typeof KEYS)[number]): string | undefined => {
    const value = input[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new BuildInputError(key, 'must be a non-empty string');
    return value;
  };
  const dockerfileText = text('dockerfilePath');
  if (dockerfileText === undefined) throw new BuildInputError('dockerfilePath', 'is required: the path of the Dockerfile to build');
  const dockerfilePath = resolve(cwd, dockerfileText);
  if (!existsSync(dockerfilePath) || !statSync(dockerfilePath).isFile()) {
    throw new BuildInputError('dockerfilePath', `${dockerfilePath} does not exist or is not a file`);
  }
  const buildContext = resolve(cwd, text('buildContext') ?? dirname(dockerfilePath));
  if (!existsSync(buildContext) || !statSync(buildContext).isDirectory()) {
    throw new BuildInputError('buildContext', `${buildContext} is not a directory`);
  }
  const args = input.buildArgs ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new BuildInputError('buildArgs', 'must be an object of NAME: "value" strings');
  }
  const buildArgs: Record<string, string> = {};
  for (const [name, value] of Object.entries(args)) {
    if (!BUILD_ARG.test(name)) throw new BuildInputError(`buildArgs.${name}`, 'is not a valid build argument name');
    if (typeof value !== 'string') throw new BuildInputError(`buildArgs.${name}`, 'must be a string');
    buildArgs[name] = value;
  }
  const defaultName = basename(buildContext).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'image';
  const tag = text('tag') ?? `${defaultName}:latest`;
  if (!TAG.test(tag)) throw new BuildInputError('tag', `"${tag}" is not a valid image reference (lower-case name, optional :tag)`);
  return { dockerfilePath, buildContext, buildArgs, tag, network: text('network') };
}

/** A file the Dockerfile reads from the build context, and where it says so. */
export interface NeededFile {
  source: string;
  line: number;
  instruction: string;
}

/** Sources we can check without evaluating anything: no variables, wildcards, URLs or other stages. */
function checkable(source: string): boolean {
  return source !== '' && !/[$*?[]/.test(source) && !/^(https?|git):\/\//.test(source) && !source.startsWith('<<');
}

/** The context files a Dockerfile needs: COPY/ADD sources and RUN --mount=type=bind sources. */
export function neededFiles(dockerfile: string): NeededFile[] {
  const needed: NeededFile[] = [];
  for (const instruction of DockerfileParser.parse(dockerfile).getInstructions()) {
    const keyword = instruction.getKeyword();
    const line = instruction.getRange().start.line + 1;
    const flags = 'getFlags' in instruction ? (instruction as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags() : [];
    if (keyword === 'COPY' || keyword === 'ADD') {
      if (flags.some((f) => f.getName() === 'from')) continue;
      const args = instruction.getArguments().map((a) => a.getValue());
      for (const source of args.slice(0, -1)) {
        if (checkable(source)) needed.push({ source, line, instruction: `${keyword} ${source}` });
      }
    } else if (keyword === 'RUN') {
      for (const flag of flags) {
        if (flag.getName() !== 'mount') continue;
        const options = new Map(
          (flag.getValue() ?? '').split(',').map((kv) => {
            const [k = '', ...v] = kv.split('=');
            return [k.trim(), v.join('=').trim()] as const;
          }),
        );
        if ((options.get('type') ?? 'bind') !== 'bind' || options.has('from')) continue;
        const source = options.get('source') ?? options.get('src') ?? '.';
        if (checkable(source)) needed.push({ source, line, instruction: `RUN --mount=type=bind,source=${source}` });
      }
    }
  }
  return needed;
}

/** Needed files that are not in the context, as one message per file (empty: all there). */
export function missingFiles(dockerfile: string, context: string): string[] {
  return neededFiles(dockerfile)
    .filter((n) => {
      const path = resolve(context, n.source.replace(/^\/+/, ''));
      const inside = !relative(context, path).startsWith('..') && !isAbsolute(relative(context, path));
      return !inside || !existsSync(path);
    })
    .map((n) => `line ${n.line}: ${n.instruction} needs ${join(context, n.source)}, which does not exist`);
}

/** The last lines of a failed build's log: BuildKit's error and the step that failed. */
function failureTail(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const errorAt = lines.findIndex((l) => /^(ERROR|error|failed to solve)/i.test(l.replace(/^#\d+\s+/, '')));
  const from = errorAt >= 0 ? Math.max(0, errorAt - 8) : Math.max(0, lines.length - 12);
  return lines.slice(from, from + 20).join('\n');
}

/** Runs the build. Throws BuildInputError for bad input; a build that fails is a result, not an error. */
export async function buildImage(raw: unknown, options: { cwd?: string; signal?: AbortSignal; onLine?: (line: string) => void } = {}): Promise<BuildResult> {
  const input = parseBuildInput(raw, options.cwd);
  const failed = (message: string): BuildResult => ({ imageId: null, tag: input.tag, size: null, success: false, message });
  const missing = missingFiles(readFileSync(input.dockerfilePath, 'utf8'), input.buildContext);
  if (missing.length > 0) {
    return failed(`the Dockerfile needs files that are not in the build context ${input.buildContext}:\n${missing.map((m) => `  ${m}`).join('\n')}\nCreate them (or fix the paths), then build again. Nothing was built.`);
  }
  const args = ['build', '--progress', 'plain', '-f', input.dockerfilePath, '-t', input.tag];
  for (const [name, value] of Object.entries(input.buildArgs)) args.push('--build-arg', `${name}=${value}`);
  if (input.network) args.push('--network', input.network);
  args.push(input.buildContext);
  const run = await docker(args, { signal: options.signal, onLine: options.onLine, env: { DOCKER_BUILDKIT: '1' } });
  if (!run.ok) {
    const why = run.stopped ? 'the build was interrupted' : `docker build failed (exit ${run.exitCode ?? '?'})`;
    return failed(`${why}:\n${failureTail(run.all)}`);
  }
  const image = await inspectImage(engineFacts('docker'), input.tag);
  if (!image) return failed(`the build finished but ${input.tag} is not in the engine's image list`);
  return { imageId: image.id, tag: input.tag, size: image.size, success: true, message: `built ${input.tag} (${(image.size / 1e6).toFixed(1)} MB)` };
}
