import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The slow fault trials (`npm run test:faults`): 200,000-file resyncs, full disks, crashes at fault points.
// Kept out of `npm test` so the suite stays well under CI's 15 minutes; `.ci/run` runs both.
// Not mergeConfig: it would concatenate the include and exclude lists.
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/faults/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 600_000,
    maxWorkers: 1,
  },
});
