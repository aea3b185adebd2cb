/**
 * Reads what an image holds without running anything inside it (the image may have no shell, and
 * running it would be a side effect): a container is created, never started, and files are copied
 * out of it as a tar stream (`docker cp CONTAINER:PATH -`), unpacked by the host's tar.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { execa } from 'execa';
import type { Engine } from '../engines.js';
import { run } from '../docker.js';
import { parseDistribution, parseDpkgStatus, parseOsRelease, type DebPackage, type PythonDist } from './parse.js';

export interface ImageFacts {
  /** The reference the user gave. */
  ref: string;
  /** The image ID (config digest), sha256:... */
  id: string;
  /** name@sha256:... manifest digests, when the image was pushed or pulled. */
  repoDigests: string[];
  repoTags: string[];
  architecture: string;
  os: string;
  created?: string;
  env: string[];
}

export interface Inventory {
  image: ImageFacts;
  /** The virtualenv the Python distributions were read from, or undefined when none was found. */
  venv?: string;
  python: PythonDist[];
  debian: DebPackage[];
  distro?: { id?: string; versionId?: string; prettyName?: string };
}

/** The image is not there: bad input (exit 2), the message names it. */
export class ImageNotFoundError extends Error {}

const MINUTE = 60_000;

export async function imageFacts(engine: Engine, ref: string): Promise<ImageFacts> {
  const r = await run(engine, ['image', 'inspect', '--format', '{{json .}}', ref], { timeout: MINUTE });
  if (!r.ok) {
    throw new ImageNotFoundError(`image "${ref}" does not exist on ${engine.name} (${engine.binary} image inspect: ${r.stderr.split('\n')[0] ?? ''}); build it first, or give a name from \`${engine.binary} images\``);
  }
  const raw = JSON.parse(r.stdout) as {
    Id: string;
    RepoDigests?: string[] | null;
    RepoTags?: string[] | null;
    Architecture?: string;
    Os?: string;
    Created?: string;
    Config?: { Env?: string[] | null };
  };
  return {
    ref,
    id: /^[0-9a-f]{64}$/.test(raw.Id) ? `sha256:${raw.Id}` : raw.Id,
    repoDigests: raw.RepoDigests ?? [],
    repoTags: raw.RepoTags ?? [],
    architecture: raw.Architecture ?? 'amd64',
    os: raw.Os ?? 'linux',
    created: raw.Created,
    env: raw.Config?.Env ?? [],
  };
}

/** Copies PATH out of the container and unpacks the members matching `patterns` (all when none) into `into`. */
async function copyOut(engine: Engine, container: string, path: string, into: string, patterns: string[] = []): Promise<boolean> {
  const cp = execa(engine.binary, ['cp', `${container}:${path}`, '-'], { env: engine.env, reject: false, buffer: { stdout: false } });
  const tar = cp.pipe('tar', ['-x', '-C', into, ...(patterns.length > 0 ? ['--wildcards', ...patterns] : [])], { reject: false });
  const [copied, unpacked] = await Promise.all([cp, tar]);
  if (copied.exitCode !== 0) return false; // the path is not in the image
  // GNU tar exits 2 with "Not found in archive" when no member matched: nothing to read, not a failure.
  if (unpacked.exitCode !== 0 && !/Not found in archive/.test(String(unpacked.stderr))) {
    throw new Error(`unpacking ${path} from the image failed: ${String(unpacked.stderr).split('\n')[0]}`);
  }
  return true;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

/** Candidate virtualenvs: VIRTUAL_ENV, then each PATH entry ending in /bin, then /opt/venv (what create-pyimage uses). */
export function venvCandidates(env: string[]): string[] {
  const value = (key: string) => env.find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1);
  const fromPath = (value('PATH') ?? '')
    .split(':')
    .filter((p) => p.endsWith('/bin') && p !== '/bin' && !/^\/(usr\/)?(local\/)?s?bin$/.test(p))
    .map((p) => p.slice(0, -'/bin'.length));
  return [...new Set([value('VIRTUAL_ENV'), ...fromPath, '/opt/venv'].filter((p): p is string => Boolean(p)))];
}

async function readPython(engine: Engine, container: string, env: string[], work: string, isSpdx: (s: string) => boolean) {
  for (const venv of venvCandidates(env)) {
    const into = mkdtempSync(join(work, 'venv-'));
    if (!(await copyOut(engine, container, `${venv}/pyvenv.cfg`, into))) continue;
    // Only the metadata: the tar of lib/ streams through, the rest is not written.
    await copyOut(engine, container, `${venv}/lib`, into, ['*.dist-info/METADATA', '*.dist-info/RECORD', '*.egg-info/PKG-INFO', '*.egg-info']);
    const dists: PythonDist[] = [];
    const libDir = join(into, 'lib');
    const files = existsSync(libDir) ? walk(libDir) : [];
    for (const file of files) {
      const rel = relative(libDir, file).split(sep);
      // lib/pythonX.Y/site-packages/<name>.dist-info/METADATA only: not vendored copies deeper down.
      if (rel.length < 3 || rel[1] !== 'site-packages') continue;
      const leaf = rel.slice(2);
      let metaDir: string | undefined;
      let record: string | undefined;
      if (leaf.length === 2 && leaf[0]!.endsWith('.dist-info') && leaf[1] === 'METADATA') {
        metaDir = leaf[0];
        const recordFile = join(file, '..', 'RECORD');
        record = existsSync(recordFile) ? readFileSync(recordFile, 'utf8') : undefined;
      } else if (leaf.length === 2 && leaf[0]!.endsWith('.egg-info') && leaf[1] === 'PKG-INFO') metaDir = leaf[0];
      else if (leaf.length === 1 && leaf[0]!.endsWith('.egg-info') && statSync(file).isFile()) metaDir = leaf[0];
      if (!metaDir) continue;
      const dist = parseDistribution(metaDir, readFileSync(file, 'utf8'), record, isSpdx);
      if (dist) dists.push(dist);
    }
    dists.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
    return { venv, python: dists };
  }
  return { venv: undefined, python: [] };
}

async function readText(engine: Engine, container: string, path: string, work: string): Promise<string | undefined> {
  const into = mkdtempSync(join(work, 'file-'));
  if (!(await copyOut(engine, container, path, into))) return undefined;
  const name = path.split('/').pop()!;
  const file = join(into, name);
  return existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : undefined;
}

/**
 * Everything the SBOM lists, read from the image `ref`. Throws ImageNotFoundError when there is no
 * such image. The container it creates is removed again whatever happens.
 */
export async function readInventory(engine: Engine, ref: string, isSpdx: (s: string) => boolean): Promise<Inventory> {
  const image = await imageFacts(engine, ref);
  // A command is given so that an image without CMD/ENTRYPOINT can be created too; it never runs.
  const created = await run(engine, ['create', '--network', 'none', image.id, '/nonexistent-sbom-placeholder'], { timeout: MINUTE });
  if (!created.ok) throw new Error(`${engine.binary} create ${ref} failed: ${created.stderr.split('\n')[0] ?? ''}`);
  const container = created.stdout.trim().split('\n').pop()!;
  const work = mkdtempSync(join(tmpdir(), 'pyimage-sbom-'));
  try {
    const { venv, python } = await readPython(engine, container, image.env, work, isSpdx);
    const status = await readText(engine, container, '/var/lib/dpkg/status', work);
    const osRelease = (await readText(engine, container, '/usr/lib/os-release', work)) ?? (await readText(engine, container, '/etc/os-release', work));
    return {
      image,
      venv,
      python,
      debian: status ? parseDpkgStatus(status) : [],
      distro: osRelease ? parseOsRelease(osRelease) : undefined,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    await run(engine, ['rm', '--force', container], { timeout: MINUTE });
  }
}
