import { defineConfig } from 'vitest/config';

/** `npm test`: the node cache against DynamoDB Local and s3rver, started by the global setup. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', ['./test/support/summary-reporter.ts', { name: 'unit' }]],
    // Real services answer in milliseconds, but lease and lock tests wait out real leases.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    env: {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      // The SDK warns that its 2027 releases need Node 22; Lambda runs 22, the warning is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
