import { defineConfig } from 'vitest/config';
import { textImportsPlugin } from './scripts/text-imports.ts';

/**
 * `npm test`: three projects.
 * - `unit` (test/unit): the domain, the API and the infrastructure on in-memory stores; no services.
 * - `integration` (test/contract, test/integration): the stores' contract on both implementations,
 *   and what needs the real stores, on DynamoDB Local and s3rver started once by the global setup
 *   (only when one of these files runs).
 * - `faults` (test/faults): the fault-injection suite (docs/design.md#recovery): crashes, throttling,
 *   conflicts, lost and repeated jobs, Ironic down and slow, skewed clocks; prints its tally.
 */
export default defineConfig({
  plugins: [textImportsPlugin()], // the dashboard's files, imported as text
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    env: {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      // The SDK warns that its 2027 releases need Node 22; Lambda runs 22, the warning is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Powertools' development mode, as the local stack sets it: no EMF metric lines on stdout.
      POWERTOOLS_DEV: 'true',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Lease and lock tests wait out short real waits.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/contract/**/*.test.ts', 'test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Real services answer in milliseconds, but lease and lock tests wait out real leases.
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
