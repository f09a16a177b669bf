import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Cross-process tests spawn children and count descriptors per file: keep files apart.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
