import { defineConfig } from 'vitest/config';

/**
 * Suites that stop, freeze and restart a Java DynamoDB Local of their own. A JVM start takes a
 * whole core for seconds; run beside other files on 2 cores, it slows the suite's shared DynamoDB
 * Local past the gateway's 1 s storage bound and turns their answers into 503s. They run last, alone.
 */
const EXCLUSIVE = ['test/faults/storage.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    pool: 'forks',
    maxWorkers: 2,
    env: {
      // The AWS SDK's notice that a 2027 release will need Node 22: nothing a test run can act on.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: EXCLUSIVE } },
      {
        extends: true,
        test: { name: 'exclusive', include: EXCLUSIVE, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
