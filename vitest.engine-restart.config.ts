import { defineConfig } from 'vitest/config';

/**
 * The engine-restart test stops every container on the engine: it runs alone, after the other
 * tests (`npm test` runs `vitest run` first, then this config).
 */
export default defineConfig({
  test: {
    include: ['test/e2e/engine-restart.e2e.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
