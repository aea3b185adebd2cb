/**
 * `create-pyimage sbom` and `smoke --sbom` on real images built from fixtures with the offline
 * stand-ins: what the SBOM lists is what pip and dpkg inside the image say is installed.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCycloneDx } from '../../generators/engine/sbom/cyclonedx.js';
import { ensureEngine, removeImage, type E2EEnv } from './engine.js';
import { cli, expectPassed, fromFixture, MINUTE, smokeJson, standIns, step, workDir } from './harness.js';

let e2e: E2EEnv;
const work = workDir('pyimage-sbom-');
const images: string[] = [];
const figures: string[] = [];

interface CdxComponent {
  name: string;
  version: string;
  purl: string;
  licenses?: unknown[];
  components?: { type: string; name: string; hashes?: { alg: string; content: string }[] }[];
}
interface CdxDocument {
  bomFormat: string;
  specVersion: string;
  metadata: { component: { type: string; 'bom-ref': string; hashes: { content: string }[] } };
  components: CdxComponent[];
}

beforeAll(async () => {
  e2e = await ensureEngine();
}, 30 * MINUTE);

afterAll(async () => {
  for (const image of images) await removeImage(image);
  rmSync(work, { recursive: true, force: true });
  if (figures.length > 0) console.log(`\nSBOM figures:\n  ${figures.join('\n  ')}`);
});

/** Generates the fixture, runs smoke with --sbom, returns the image tag and the SBOM file. */
async function smokeWithSbom(source: string, name: string, flags: string[]): Promise<{ tag: string; file: string }> {
  const dir = fromFixture(work, source, name);
  const generated = await cli([dir, '--yes', '--name', name, '--python', e2e.pythonVersion, ...flags], {
    timeout: 2 * MINUTE,
    // A cache of its own: another version's ShellCheck result cache in ~/.cache must not decide this test.
    env: { XDG_CACHE_HOME: join(work, 'cache') },
  });
  expect(generated.exitCode, String(generated.stderr)).toBe(0);
  const file = join(work, `${name}.cdx.json`);
  const smoke = await smokeJson(['smoke', dir, '--json', '--sbom', file, ...standIns(e2e)]);
  images.push(smoke.result.tag);
  expectPassed(smoke);
  const sbomStep = step(smoke.result, 'sbom');
  expect(sbomStep.detail).toContain(file);
  figures.push(`${name}: smoke's sbom step ${sbomStep.seconds}s, ${statSync(file).size} bytes (${sbomStep.detail.split(' -> ')[0]})`);
  return { tag: smoke.result.tag, file };
}

/** Runs a program of the image as its own user, network off (the image is not started as the app). */
async function inImage(tag: string, entrypoint: string, args: string[]): Promise<string> {
  const r = await execa('docker', ['run', '--rm', '--network', 'none', '--entrypoint', entrypoint, tag, ...args], { reject: false, timeout: 2 * MINUTE });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

async function expectMatchesImage(tag: string, file: string): Promise<CdxDocument> {
  const text = readFileSync(file, 'utf8');
  expect(await validateCycloneDx(text)).toBeNull();
  const doc = JSON.parse(text) as CdxDocument;
  expect([doc.bomFormat, doc.specVersion]).toEqual(['CycloneDX', '1.6']);
  const id = (await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', tag])).stdout.trim();
  expect(doc.metadata.component.type).toBe('container');
  expect(doc.metadata.component['bom-ref']).toBe(id);
  expect(doc.metadata.component.hashes[0]!.content).toBe(id.replace('sha256:', ''));

  // The venv has no pip of its own: the base image's pip lists it (pip --python, pip >= 22.3).
  const pipList = JSON.parse(await inImage(tag, 'pip', ['--python', '/opt/venv/bin/python', 'list', '--format', 'json'])) as { name: string; version: string }[];
  const python = doc.components.filter((c) => c.purl.startsWith('pkg:pypi/'));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  expect(python.map((c) => ({ name: c.name, version: c.version })).sort(byName)).toEqual(pipList.map(({ name, version }) => ({ name, version })).sort(byName));
  expect(python.length).toBeGreaterThan(3);
  for (const c of python) expect(c.purl).toBe(`pkg:pypi/${c.name.toLowerCase().replace(/[-_.]+/g, '-')}@${c.version}`);
  // RECORD's hashes: every distribution pip installed has files with a SHA-256.
  for (const c of python) {
    expect(c.components?.length, c.name).toBeGreaterThan(0);
    expect(c.components![0]!.hashes![0]!.content).toMatch(/^[0-9a-f]{64}$/);
  }

  // -W's default format prints ${binary:Package}, which adds ":amd64" to Multi-Arch: same packages;
  // the SBOM keeps the package name and puts the architecture in the purl, so both are compared.
  const dpkg = (await inImage(tag, 'dpkg-query', ['-W', '-f', '${Package}\t${Version}\t${Architecture}\n'])).split('\n').filter(Boolean).sort();
  const debian = doc.components.filter((c) => c.purl.startsWith('pkg:deb/'));
  expect(debian.map((c) => `${c.name}\t${c.version}\t${new URL(c.purl.replace(/^pkg:/, 'pkg://x/')).searchParams.get('arch')}`).sort()).toEqual(dpkg);
  expect(debian.length).toBeGreaterThan(50);
  expect(debian.find((c) => c.name === 'libc6')?.purl).toMatch(/^pkg:deb\/debian\/libc6@[^?]+\?arch=amd64&distro=debian-12/);
  return doc;
}

describe('create-pyimage sbom (real engine)', () => {
  it('fastapi-hello: smoke --sbom writes a CycloneDX 1.6 SBOM that lists what pip and dpkg in the image list', async () => {
    const { tag, file } = await smokeWithSbom('examples/fastapi-hello', 'sbom-fastapi', []);
    await expectMatchesImage(tag, file);

    // The command alone, timed, to a file; and SPDX 2.3 of the same image.
    const started = performance.now();
    const out = join(work, 'direct.cdx.json');
    const r = await cli(['sbom', tag, '--output', out]);
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/CycloneDX 1\.6 SBOM of .*: \d+ Python distributions from \/opt\/venv, \d+ Debian packages/);
    await expectMatchesImage(tag, out);
    figures.push(`fastapi-hello: create-pyimage sbom ${seconds}s wall (node start included), ${statSync(out).size} bytes`);

    const spdx = await cli(['sbom', tag, '--format', 'spdx']);
    expect(spdx.exitCode, String(spdx.stderr)).toBe(0);
    const doc = JSON.parse(String(spdx.stdout)) as { spdxVersion: string; packages: { name: string; externalRefs: { referenceLocator: string }[] }[] };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    const cdx = JSON.parse(readFileSync(out, 'utf8')) as CdxDocument;
    expect(doc.packages.slice(1).map((p) => p.externalRefs[0]!.referenceLocator).sort()).toEqual(cdx.components.map((c) => c.purl).sort());
  }, 20 * MINUTE);

  it('a project installed from pyproject.toml: its own distribution (hello-factory) is listed under its metadata name', async () => {
    const { tag, file } = await smokeWithSbom('test/fixtures/e2e-pyproject-factory', 'sbom-factory', [
      '--framework',
      'flask',
      '--deps',
      'pip-pyproject',
      '--app',
      'hello_factory:create_app()',
      '--health-path',
      '/healthz',
    ]);
    const doc = await expectMatchesImage(tag, file);
    expect(doc.components.map((c) => c.purl)).toContain('pkg:pypi/hello-factory@0.3.0');
  }, 20 * MINUTE);

  it('an image that does not exist: exit 2 naming it, nothing written', async () => {
    const out = join(work, 'never.cdx.json');
    const r = await cli(['sbom', 'create-pyimage-no-such-image:9.9', '--output', out]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('create-pyimage-no-such-image:9.9');
    expect(String(r.stderr)).toContain('does not exist');
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown --format: exit 2 naming the allowed ones', async () => {
    const r = await cli(['sbom', 'whatever:1', '--format', 'xml']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain('--format: "xml" is not one of cyclonedx, spdx');
  });
});
