/**
 * Starts DynamoDB Local and s3rver once for the whole run and hands their endpoints to the tests.
 */
import type { TestProject } from 'vitest/node';
import { type LocalServices, startLocalServices } from '../../scripts/local-services.ts';

export const TEST_BUCKET = 'introspection-data-test';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
    s3Endpoint: string;
    introspectionDataBucket: string;
  }
}

/**
 * One set of services per vitest process: when several projects list this setup (`npm run
 * test:coverage` runs the unit and Ironic suites together) they share it, and the last teardown stops it.
 */
const shared = globalThis as { inspectorLocalServices?: { services: Promise<LocalServices>; users: number } };

export async function setup(project: TestProject): Promise<void> {
  shared.inspectorLocalServices ??= { services: startLocalServices({ buckets: [TEST_BUCKET] }), users: 0 };
  shared.inspectorLocalServices.users++;
  const services = await shared.inspectorLocalServices.services;
  project.provide('dynamoDbEndpoint', services.dynamoDbEndpoint);
  project.provide('s3Endpoint', services.s3Endpoint);
  project.provide('introspectionDataBucket', TEST_BUCKET);
}

export async function teardown(): Promise<void> {
  const current = shared.inspectorLocalServices;
  if (current === undefined || --current.users > 0) return;
  shared.inspectorLocalServices = undefined;
  await (await current.services.catch(() => undefined))?.stop();
}
