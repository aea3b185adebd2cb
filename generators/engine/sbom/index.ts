/**
 * `create-pyimage sbom [IMAGE]`: what an image holds, as CycloneDX 1.6 JSON (or SPDX 2.3 JSON). Read
 * from the image's files (a container is created, never started), built with the CycloneDX library
 * and validated against its schema before it is returned.
 */
import parseSpdxExpression from 'spdx-expression-parse';
import type { Engine } from '../engines.js';
import { cyclonedxJson } from './cyclonedx.js';
import { readInventory, type Inventory } from './inventory.js';
import { spdxJson } from './spdx.js';

export { ImageNotFoundError } from './inventory.js';

export type SbomFormat = 'cyclonedx' | 'spdx';
export const SBOM_FORMATS: readonly SbomFormat[] = ['cyclonedx', 'spdx'];

/** Whether `s` is a valid SPDX licence expression. */
export function isSpdxExpression(s: string): boolean {
  try {
    parseSpdxExpression(s);
    return true;
  } catch {
    return false;
  }
}

export interface Sbom {
  text: string;
  format: SbomFormat;
  inventory: Inventory;
}

export async function imageSbom(engine: Engine, ref: string, format: SbomFormat = 'cyclonedx'): Promise<Sbom> {
  const inventory = await readInventory(engine, ref, isSpdxExpression);
  const text = format === 'spdx' ? spdxJson(inventory, isSpdxExpression) : await cyclonedxJson(inventory);
  return { text, format, inventory };
}

/** One line for people: how many of each kind, and from where. */
export function sbomSummary({ inventory: inv, text, format }: Sbom): string {
  const venv = inv.venv ? ` from ${inv.venv}` : ' (no virtualenv found)';
  const os = inv.distro?.prettyName ? ` (${inv.distro.prettyName})` : '';
  return `${format === 'spdx' ? 'SPDX 2.3' : 'CycloneDX 1.6'} SBOM of ${inv.image.ref}: ${inv.python.length} Python distributions${venv}, ${inv.debian.length} Debian packages${os}, ${(text.length / 1024).toFixed(0)} KiB`;
}
