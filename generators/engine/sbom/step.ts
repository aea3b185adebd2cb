/**
 * The smoke step `sbom` (with `smoke --sbom FILE`): right after the build, the SBOM of the image just
 * built is written to FILE, next to the JSON report CI keeps (`smoke --json > smoke.json`).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { StepSpec } from '../smoke/steps.js';
import { imageSbom, sbomSummary } from './index.js';

export const SBOM_STEP: StepSpec = {
  name: 'sbom',
  when: (ctx) => Boolean(ctx.options.sbom),
  run: async (ctx) => {
    const file = resolve(ctx.options.sbom!);
    let sbom;
    try {
      sbom = await imageSbom(ctx.project.engine, ctx.imageId || ctx.tag);
    } catch (error) {
      // A plain Error: smoke reports it as this step's failure (no import cycle with smoke.ts).
      throw new Error(`cannot write the SBOM of ${ctx.tag}: ${(error as Error).message}`);
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, sbom.text);
    renameSync(`${file}.tmp`, file);
    return `${sbomSummary({ ...sbom, inventory: { ...sbom.inventory, image: { ...sbom.inventory.image, ref: ctx.tag } } })} -> ${file}`;
  },
};
