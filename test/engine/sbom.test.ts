/**
 * The SBOM's readers and builder without an engine: core metadata (licences), RECORD hashes, dpkg's
 * status database, and a CycloneDX 1.6 document from an inventory that the library's validator accepts.
 */
import { describe, expect, it } from 'vitest';
import { cyclonedxJson, validateCycloneDx } from '../../generators/engine/sbom/cyclonedx.js';
import { isSpdxExpression } from '../../generators/engine/sbom/index.js';
import { venvCandidates, type Inventory } from '../../generators/engine/sbom/inventory.js';
import { normalizePypiName, parseDistribution, parseDpkgStatus, parseOsRelease, parseRecord } from '../../generators/engine/sbom/parse.js';
import { spdxJson } from '../../generators/engine/sbom/spdx.js';

const METADATA = (extra: string) => `Metadata-Version: 2.4\nName: Typing_Extensions\nVersion: 4.12.2\nSummary: Backported types\n${extra}\nlong description: not a header\n`;

describe('Python core metadata', () => {
  it('takes License-Expression first, a one-line License field next, then the licence classifiers', () => {
    expect(parseDistribution('x.dist-info', METADATA('License-Expression: MIT OR Apache-2.0'), undefined, isSpdxExpression)).toMatchObject({
      name: 'Typing_Extensions',
      version: '4.12.2',
      licenseExpression: 'MIT OR Apache-2.0',
    });
    expect(parseDistribution('x', METADATA('License: BSD-3-Clause'), undefined, isSpdxExpression)?.licenseExpression).toBe('BSD-3-Clause');
    expect(parseDistribution('x', METADATA('License: Python Software Foundation License'), undefined, isSpdxExpression)?.licenseNames).toEqual(['Python Software Foundation License']);
    // A pasted licence text (continuation lines) is not a name: the classifier is used instead.
    const pasted = METADATA('License: Copyright (c) 2024 Someone\n        Permission is hereby granted\nClassifier: License :: OSI Approved :: MIT License\nClassifier: Programming Language :: Python');
    expect(parseDistribution('x', pasted, undefined, isSpdxExpression)).toMatchObject({ licenseNames: ['MIT License'] });
    expect(parseDistribution('x', 'Name: nothing\n', undefined, isSpdxExpression)).toBeUndefined();
  });

  it('reads SHA-256 hashes from RECORD as hex, skipping unhashed lines and quoted commas', () => {
    const record = [
      'typing_extensions.py,sha256=BEiiVz0QEP4tLoXcpsqIRPZu9uqxBNZ6kW7LKUZz0bs,134451',
      '"odd,name.py",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0',
      'typing_extensions-4.12.2.dist-info/RECORD,,',
      'x.pyc,md5=abc,1',
    ].join('\n');
    expect(parseRecord(record)).toEqual([
      { path: 'typing_extensions.py', sha256: '0448a2573d1010fe2d2e85dca6ca8844f66ef6eab104d67a916ecb294673d1bb' },
      { path: 'odd,name.py', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    ]);
  });

  it('normalises names for pkg:pypi purls as PEP 503 does', () => {
    expect(normalizePypiName('Typing_Extensions')).toBe('typing-extensions');
    expect(normalizePypiName('zope.interface')).toBe('zope-interface');
  });
});

describe('dpkg status and os-release', () => {
  const status = [
    'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\nVersion: 2.36-9+deb12u9\nDescription: GNU C Library\n .\n more',
    'Package: gone\nStatus: purge ok not-installed\nArchitecture: amd64\nVersion: 1.0',
    'Package: libgcc-s1\nStatus: install ok installed\nArchitecture: amd64\nSource: gcc-12 (12.2.0-14)\nVersion: 12.2.0-14+deb12u1',
    'Package: oldconf\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 2',
  ].join('\n\n');

  it('lists what dpkg-query -W lists (not-installed left out), with source packages', () => {
    expect(parseDpkgStatus(status)).toEqual([
      { name: 'libc6', version: '2.36-9+deb12u9', architecture: 'amd64', source: 'glibc' },
      { name: 'libgcc-s1', version: '12.2.0-14+deb12u1', architecture: 'amd64', source: 'gcc-12', sourceVersion: '12.2.0-14' },
      { name: 'oldconf', version: '2', architecture: 'all' },
    ]);
  });

  it('reads ID and VERSION_ID', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n')).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  });

  it('finds the virtualenv from VIRTUAL_ENV and PATH, /opt/venv last', () => {
    expect(venvCandidates(['PATH=/app/.venv/bin:/usr/local/bin:/usr/bin:/bin'])).toEqual(['/app/.venv', '/opt/venv']);
    expect(venvCandidates(['VIRTUAL_ENV=/srv/env', 'PATH=/opt/venv/bin:/usr/bin'])).toEqual(['/srv/env', '/opt/venv']);
  });
});

describe('documents', () => {
  const inventory: Inventory = {
    image: { ref: 'shop:1.0', id: `sha256:${'a'.repeat(64)}`, repoDigests: [], repoTags: ['shop:1.0'], architecture: 'amd64', os: 'linux', env: [] },
    venv: '/opt/venv',
    python: [
      { name: 'Flask', version: '3.0.3', licenseExpression: 'BSD-3-Clause', licenseNames: [], files: [{ path: 'flask/__init__.py', sha256: 'b'.repeat(64) }], metadataDir: 'flask-3.0.3.dist-info' },
      { name: 'odd_pkg', version: '1.0', licenseNames: ['Custom Licence'], files: [], metadataDir: 'odd_pkg-1.0.dist-info' },
    ],
    debian: [{ name: 'libc6', version: '2.36-9+deb12u9', architecture: 'amd64', source: 'glibc' }],
    distro: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  };

  it('CycloneDX 1.6: valid, the image as subject, purls, licences and file hashes', async () => {
    const text = await cyclonedxJson(inventory, new Date('2026-12-04T00:00:00Z'));
    expect(await validateCycloneDx(text)).toBeNull();
    const doc = JSON.parse(text);
    expect(doc.specVersion).toBe('1.6');
    expect(doc.metadata.component).toMatchObject({ type: 'container', name: 'shop', version: '1.0', 'bom-ref': inventory.image.id });
    const byPurl = (p: string) => doc.components.find((c: { purl: string }) => c.purl === p);
    expect(doc.components.map((c: { purl: string }) => c.purl).sort()).toEqual([
      'pkg:deb/debian/libc6@2.36-9+deb12u9?arch=amd64&distro=debian-12&upstream=glibc',
      'pkg:pypi/flask@3.0.3',
      'pkg:pypi/odd-pkg@1.0',
    ]);
    const flask = byPurl('pkg:pypi/flask@3.0.3');
    expect(flask.licenses).toEqual([{ license: { id: 'BSD-3-Clause' } }]);
    expect(byPurl('pkg:pypi/odd-pkg@1.0').licenses).toEqual([{ license: { name: 'Custom Licence' } }]);
    expect(flask.components[0]).toMatchObject({ type: 'file', name: 'flask/__init__.py', hashes: [{ alg: 'SHA-256', content: 'b'.repeat(64) }] });
    expect(doc.dependencies.find((d: { ref: string }) => d.ref === inventory.image.id).dependsOn).toHaveLength(3);
  });

  it('the validator refuses a document that breaks the schema (the check can fail)', async () => {
    const doc = JSON.parse(await cyclonedxJson(inventory));
    doc.components[0].type = 'not-a-type';
    doc.metadata.component.hashes[0].content = 'not hex';
    expect(await validateCycloneDx(JSON.stringify(doc))).not.toBeNull();
  });

  it('SPDX 2.3: the image is described, every package is contained by it', () => {
    const doc = JSON.parse(spdxJson(inventory, isSpdxExpression));
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.packages).toHaveLength(4);
    expect(doc.packages[1]).toMatchObject({ name: 'Flask', licenseDeclared: 'BSD-3-Clause', externalRefs: [{ referenceLocator: 'pkg:pypi/flask@3.0.3' }] });
    expect(doc.relationships.filter((r: { relationshipType: string }) => r.relationshipType === 'CONTAINED_BY')).toHaveLength(3);
  });
});
