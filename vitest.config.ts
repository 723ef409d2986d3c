import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The slow fault trials run on their own: vitest.faults.config.ts (`npm run test:faults`).
    exclude: ['test/faults/**', '**/node_modules/**'],
    reporters: ['default', './test/summary-reporter.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    // Integration suites start moto and local servers; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Vitest's default on 2 cores is one file at a time; most suites wait on
    // subprocesses, sockets and timeouts, so three at a time fit the CI budget.
    maxWorkers: 3,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_REGION: 'us-east-1',
      // Node 20 is this project's local runtime on purpose; the SDK's reminder is noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
