import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // infra/ holds shell and Python for the real engine, not tests. The engine-restart test stops
    // every container on the engine: it runs alone afterwards (vitest.engine-restart.config.ts).
    exclude: [...configDefaults.exclude, 'test/e2e/infra/**', 'dist/**', 'test/e2e/engine-restart.e2e.test.ts'],
    // Unit tests stay fast; the real-engine file sets its own long timeouts per test.
    testTimeout: 30_000,
    // Child processes (the CLI, docker) do not mix with worker threads' stdio well.
    pool: 'forks',
    // @actions/workflow-parser imports its schema JSON without an import attribute, which Node 20
    // refuses; through vite the import works.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
