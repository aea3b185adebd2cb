/**
 * The same inventory as an SPDX 2.3 JSON document (`sbom --format spdx`): the image is the described
 * package, every Python distribution and Debian package is CONTAINED_BY it, identified by its purl.
 */
import { randomUUID } from 'node:crypto';
import { PackageURL } from 'packageurl-js';
import { packageVersion } from '../../paths.js';
import { debPurl } from './cyclonedx.js';
import type { Inventory } from './inventory.js';
import { normalizePypiName } from './parse.js';

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  licenseDeclared: string;
  licenseConcluded: 'NOASSERTION';
  copyrightText: 'NOASSERTION';
  primaryPackagePurpose?: string;
  checksums?: { algorithm: 'SHA256'; checksumValue: string }[];
  externalRefs: { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }[];
}

/** SPDX IDs allow letters, digits, dots and dashes only. */
const spdxId = (kind: string, n: number, name: string) => `SPDXRef-${kind}-${n}-${name.replace(/[^A-Za-z0-9.-]/g, '-')}`;

export function spdxJson(inv: Inventory, isSpdx: (s: string) => boolean, now = new Date()): string {
  const digest = inv.image.repoDigests[0]?.split('@')[1] ?? inv.image.id;
  const imageName = inv.image.repoTags[0] ?? inv.image.ref;
  const root: SpdxPackage = {
    SPDXID: 'SPDXRef-image',
    name: imageName,
    versionInfo: digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseDeclared: 'NOASSERTION',
    licenseConcluded: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'CONTAINER',
    checksums: [{ algorithm: 'SHA256', checksumValue: digest.replace(/^sha256:/, '') }],
    externalRefs: [],
  };
  const pkg = (id: string, name: string, version: string, purl: string, license?: string): SpdxPackage => ({
    SPDXID: id,
    name,
    versionInfo: version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseDeclared: license && isSpdx(license) ? license : 'NOASSERTION',
    licenseConcluded: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }],
  });
  const python = inv.python.map((d, i) =>
    pkg(spdxId('pypi', i, d.name), d.name, d.version, new PackageURL('pypi', undefined, normalizePypiName(d.name), d.version, undefined, undefined).toString(), d.licenseExpression),
  );
  const debian = inv.debian.map((p, i) => pkg(spdxId('deb', i, p.name), p.name, p.version, debPurl(p, inv.distro)));
  const packages = [root, ...python, ...debian];
  const document = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `sbom-${imageName}`,
    documentNamespace: `https://spdx.org/spdxdocs/create-pyimage/${randomUUID()}`,
    creationInfo: { created: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: create-pyimage-${packageVersion()}`] },
    documentDescribes: ['SPDXRef-image'],
    packages,
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-image' },
      ...[...python, ...debian].map((p) => ({ spdxElementId: p.SPDXID, relationshipType: 'CONTAINED_BY', relatedSpdxElement: 'SPDXRef-image' })),
    ],
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
