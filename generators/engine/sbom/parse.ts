/**
 * What an image holds, read from its files as a package manager writes them: Python's core metadata
 * (METADATA / PKG-INFO), a distribution's RECORD, dpkg's status database and os-release. Pure
 * functions over text, so they are tested without an engine.
 */

/** One installed Python distribution, as `pip list` sees it. */
export interface PythonDist {
  /** The `Name:` field as written (what `pip list` prints). */
  name: string;
  version: string;
  /** An SPDX expression (License-Expression, or a License field that is one). */
  licenseExpression?: string;
  /** Free-text licence names (License field, licence classifiers) when no expression is declared. */
  licenseNames: string[];
  summary?: string;
  /** Files from RECORD that carry a hash: path inside site-packages and SHA-256 as hex. */
  files: { path: string; sha256: string }[];
  /** Where the metadata was read, e.g. fastapi-0.115.0.dist-info. */
  metadataDir: string;
}

/** One dpkg package as `dpkg-query -W` lists it. */
export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package when it differs from the binary one, without its version. */
  source?: string;
  /** The source package's version when it differs (`Source: name (version)`). */
  sourceVersion?: string;
}

/** RFC 822 style header fields (core metadata, dpkg status paragraphs); repeated fields keep every value. */
export function headerFields(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let last: { key: string; index: number } | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      // Core metadata: a blank line ends the headers (the description follows).
      if (fields.size > 0) break;
      continue;
    }
    if (/^[ \t]/.test(line) && last) {
      const values = fields.get(last.key)!;
      values[last.index] = `${values[last.index]}\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = fields.get(key) ?? [];
    values.push(value);
    fields.set(key, values);
    last = { key, index: values.length - 1 };
  }
  return fields;
}

const first = (fields: Map<string, string[]>, key: string) => fields.get(key)?.[0];

/**
 * The licence a distribution declares: PEP 639's License-Expression first; then the License field
 * when it is one short line (some projects paste the whole licence text there); then the
 * `License ::` classifiers. `isSpdx` says whether a string is a valid SPDX expression.
 */
function declaredLicense(fields: Map<string, string[]>, isSpdx: (s: string) => boolean): Pick<PythonDist, 'licenseExpression' | 'licenseNames'> {
  const expression = first(fields, 'license-expression');
  if (expression && isSpdx(expression)) return { licenseExpression: expression, licenseNames: [] };
  const field = first(fields, 'license');
  if (field && !field.includes('\n') && field.length <= 80 && field.toUpperCase() !== 'UNKNOWN') {
    return isSpdx(field) ? { licenseExpression: field, licenseNames: [] } : { licenseNames: [field] };
  }
  const classifiers = (fields.get('classifier') ?? [])
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()!.trim())
    .filter((name) => name !== 'OSI Approved');
  return { licenseNames: [...new Set(classifiers)] };
}

/** A distribution from its METADATA (or PKG-INFO) and RECORD text; undefined without Name and Version. */
export function parseDistribution(
  metadataDir: string,
  metadata: string,
  record: string | undefined,
  isSpdx: (s: string) => boolean,
): PythonDist | undefined {
  const fields = headerFields(metadata);
  const name = first(fields, 'name');
  const version = first(fields, 'version');
  if (!name || !version) return undefined;
  return {
    name,
    version,
    summary: first(fields, 'summary') || undefined,
    ...declaredLicense(fields, isSpdx),
    files: record ? parseRecord(record) : [],
    metadataDir,
  };
}

/**
 * RECORD is CSV: path,algorithm=urlsafe-base64-digest,size. Returns the SHA-256 entries with the
 * digest as hex. Paths with commas are quoted, as Python's csv module writes them.
 */
export function parseRecord(text: string): { path: string; sha256: string }[] {
  const out: { path: string; sha256: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells = csvCells(line);
    const [path, hash] = cells;
    if (!path || !hash?.startsWith('sha256=')) continue;
    const digest = Buffer.from(hash.slice('sha256='.length), 'base64url');
    if (digest.length !== 32) continue;
    out.push({ path, sha256: digest.toString('hex') });
  }
  return out;
}

function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/**
 * dpkg's status database: every package whose state is not `not-installed`, which is what
 * `dpkg-query -W` lists (config-files packages included, as it does).
 */
export function parseDpkgStatus(text: string): DebPackage[] {
  const out: DebPackage[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = headerFields(paragraph);
    const name = first(fields, 'package');
    const version = first(fields, 'version');
    const status = (first(fields, 'status') ?? '').split(/\s+/);
    if (!name || !version || status[2] === 'not-installed') continue;
    const pkg: DebPackage = { name, version, architecture: first(fields, 'architecture') ?? 'all' };
    const source = /^(\S+)(?:\s+\((.+)\))?$/.exec(first(fields, 'source') ?? '');
    if (source && source[1] !== name) pkg.source = source[1];
    if (source?.[2] && source[2] !== version) {
      pkg.source = source[1];
      pkg.sourceVersion = source[2];
    }
    out.push(pkg);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.architecture.localeCompare(b.architecture));
}

/** ID and VERSION_ID from os-release (shell-style KEY=value, values optionally quoted). */
export function parseOsRelease(text: string): { id?: string; versionId?: string; prettyName?: string } {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) values[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return { id: values.ID, versionId: values.VERSION_ID, prettyName: values.PRETTY_NAME };
}

/** PEP 503 normalisation, as purl's pypi type asks: lowercase, runs of -_. become one dash. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
