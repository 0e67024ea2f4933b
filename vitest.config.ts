import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temporary directory per run, checked empty at the end: tests clean up what they create.
    globalSetup: ['test/support/global-setup.ts'],
    // Real PostgreSQL servers start in each file that needs them; give them time on a 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
