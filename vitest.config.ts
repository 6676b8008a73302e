import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 20_000,
    // beforeAll hooks start real cores and upstreams: the same bound as a test (vitest's 10 s default fails
    // file-wide on a loaded 2-core machine before any test runs). A bound, not a threshold: it ends on success.
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
