/**
 * The inventory as a CycloneDX 1.6 BOM, built with the CycloneDX library's models, serialised by its
 * JSON serializer and checked by its strict JSON-schema validator before anyone sees it.
 */
import { randomUUID } from 'node:crypto';
import { Enums, Models, Serialize, Spec, SPDX, Validation } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import { packageVersion } from '../../paths.js';
import type { Inventory } from './inventory.js';
import { normalizePypiName, type DebPackage, type PythonDist } from './parse.js';

const SHA256 = Enums.HashAlgorithm['SHA-256'];

function pythonComponent(dist: PythonDist): Models.Component {
  const purl = new PackageURL('pypi', undefined, normalizePypiName(dist.name), dist.version, undefined, undefined).toString();
  const licenses = new Models.LicenseRepository();
  if (dist.licenseExpression) {
    licenses.add(SPDX.isSupportedSpdxId(dist.licenseExpression) ? new Models.SpdxLicense(dist.licenseExpression) : new Models.LicenseExpression(dist.licenseExpression));
  } else {
    for (const name of dist.licenseNames) licenses.add(new Models.NamedLicense(name));
  }
  // RECORD's hashes are per file: each file is a component of the distribution, with its SHA-256.
  const files = new Models.ComponentRepository(
    dist.files.map(
      (f) =>
        new Models.Component(Enums.ComponentType.File, f.path, {
          bomRef: `${purl}#${f.path}`,
          hashes: new Models.HashDictionary([[SHA256, f.sha256]]),
        }),
    ),
  );
  return new Models.Component(Enums.ComponentType.Library, dist.name, {
    bomRef: purl,
    version: dist.version,
    purl,
    description: dist.summary,
    licenses,
    components: files,
    properties: new Models.PropertyRepository([new Models.Property('create-pyimage:python:metadata', dist.metadataDir)]),
  });
}

export function debPurl(pkg: DebPackage, distro: Inventory['distro']): string {
  const qualifiers: Record<string, string> = { arch: pkg.architecture };
  if (distro?.id && distro.versionId) qualifiers.distro = `${distro.id}-${distro.versionId}`;
  if (pkg.source) qualifiers.upstream = pkg.sourceVersion ? `${pkg.source}@${pkg.sourceVersion}` : pkg.source;
  return new PackageURL('deb', distro?.id ?? 'debian', pkg.name, pkg.version, qualifiers, undefined).toString();
}

function debComponent(pkg: DebPackage, distro: Inventory['distro']): Models.Component {
  const purl = debPurl(pkg, distro);
  return new Models.Component(Enums.ComponentType.Library, pkg.name, { bomRef: purl, version: pkg.version, purl });
}

/** The image itself: its name and tag, its ID and (when pushed or pulled) its manifest digest. */
function subject(inv: Inventory): Models.Component {
  const { image } = inv;
  const digest = image.repoDigests[0]?.split('@')[1] ?? image.id;
  const tagged = image.repoTags[0] ?? image.ref;
  const slash = tagged.lastIndexOf('/');
  const colon = tagged.lastIndexOf(':');
  const name = colon > slash ? tagged.slice(0, colon) : tagged;
  const tag = colon > slash ? tagged.slice(colon + 1) : undefined;
  const purl = new PackageURL('oci', undefined, name.split('/').pop()!.toLowerCase(), digest, {
    arch: image.architecture,
    ...(tag ? { tag } : {}),
    ...(name.includes('/') ? { repository_url: name } : {}),
  }, undefined).toString();
  const properties = new Models.PropertyRepository([
    new Models.Property('create-pyimage:image:id', image.id),
    ...image.repoDigests.map((d) => new Models.Property('create-pyimage:image:repoDigest', d)),
    ...(inv.venv ? [new Models.Property('create-pyimage:python:virtualenv', inv.venv)] : []),
    ...(inv.distro?.prettyName ? [new Models.Property('create-pyimage:os', inv.distro.prettyName)] : []),
  ]);
  return new Models.Component(Enums.ComponentType.Container, name, {
    bomRef: digest,
    version: tag ?? digest,
    purl,
    hashes: new Models.HashDictionary([[SHA256, digest.replace(/^sha256:/, '')]]),
    properties,
  });
}

export function inventoryBom(inv: Inventory, now = new Date()): Models.Bom {
  const tools = new Models.Tools({
    components: new Models.ComponentRepository([
      new Models.Component(Enums.ComponentType.Application, 'create-pyimage', { version: packageVersion() }),
    ]),
  });
  const root = subject(inv);
  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${randomUUID()}`,
    metadata: new Models.Metadata({ timestamp: now, tools, component: root }),
  });
  for (const dist of inv.python) bom.components.add(pythonComponent(dist));
  for (const pkg of inv.debian) bom.components.add(debComponent(pkg, inv.distro));
  // The image contains every component listed (a flat graph: what depends on what is not read).
  for (const c of bom.components) root.dependencies.add(c.bomRef);
  return bom;
}

/** CycloneDX 1.6 JSON, validated; throws with the validator's errors when it does not conform. */
export async function cyclonedxJson(inv: Inventory, now = new Date()): Promise<string> {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const text = serializer.serialize(inventoryBom(inv, now), { sortLists: true, space: 2 });
  const errors = await validateCycloneDx(text);
  if (errors) throw new Error(`the SBOM does not validate against CycloneDX 1.6: ${JSON.stringify(errors).slice(0, 500)}`);
  return `${text}\n`;
}

/** null when `text` is valid CycloneDX 1.6 JSON, else the validator's errors. */
export async function validateCycloneDx(text: string): Promise<unknown> {
  return new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text);
}
