import { defineConfig } from 'vitest/config';
import { textImportsPlugin } from './scripts/text-imports.ts';

/**
 * `npm run test:ironic`: the Ironic client, NodeInfo's Ironic operations and the API against the real
 * Ironic from Debian's packages (installed and started by `scripts/ironic-standalone.sh`; root on
 * Debian, about a minute the first time), plus DynamoDB Local and s3rver.
 */
export default defineConfig({
  plugins: [textImportsPlugin()], // the dashboard's files, imported as text
  test: {
    name: 'ironic',
    include: ['test/ironic/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/support/ironic-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // One Ironic serves every file: keep the files from racing on its conductor.
    fileParallelism: false,
    env: {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Powertools' development mode, as the local stack sets it: no EMF metric lines on stdout.
      POWERTOOLS_DEV: 'true',
    },
  },
});
