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

let services: LocalServices | undefined;

export async function setup(project: TestProject): Promise<void> {
  services = await startLocalServices({ buckets: [TEST_BUCKET] });
  project.provide('dynamoDbEndpoint', services.dynamoDbEndpoint);
  project.provide('s3Endpoint', services.s3Endpoint);
  project.provide('introspectionDataBucket', TEST_BUCKET);
}

export async function teardown(): Promise<void> {
  await services?.stop();
}
