/**
 * Entry for plop's own CLI (`npx plop stack`). The generator lives in the render room
 * (generators/render/plop.ts); this file only hands it to plop.
 */
export { registerGenerators as default } from './generators/render/plop.js';
