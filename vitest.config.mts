import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**'],
    // The sidebar browser suites (test/e2e) drive the H5 build; this builds it when missing or stale.
    globalSetup: ['./test/e2e/global-setup.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    env: { TZ: 'Asia/Shanghai', LOG_LEVEL: 'silent' },
  },
});
