import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Dawn on SwiftShader and Chromium both want the two cores; run files one at a time.
    fileParallelism: false,
  },
});
