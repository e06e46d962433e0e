import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { ConfigurationError } from '#lib/domain/errors.ts';

describe('configuration', () => {
  it('has upstream defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      timeoutSeconds: 3600,
      leaseSeconds: 120,
      lockWaitSeconds: 10,
      storeData: 's3',
      nodeCacheTable: 'serverless-inspector-node-cache',
      introspectionDataBucket: 'serverless-inspector-introspection-data',
      dynamoDbEndpoint: undefined,
      region: 'us-east-1',
    });
  });

  it('takes values from the environment; empty means unset', () => {
    const config = loadConfig({
      INSPECTOR_TIMEOUT: '-1',
      NODE_LEASE_SECONDS: '300',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      STORE_DATA: 'none',
      NODE_CACHE_TABLE: '',
    });
    expect(config.timeoutSeconds).toBe(-1);
    expect(config.leaseSeconds).toBe(300);
    expect(config.dynamoDbEndpoint).toBe('http://127.0.0.1:8000');
    expect(config.storeData).toBe('none');
    expect(config.nodeCacheTable).toBe('serverless-inspector-node-cache');
  });

  it.each([
    ['INSPECTOR_TIMEOUT', 'soon'],
    ['INSPECTOR_TIMEOUT', '315576001'],
    ['NODE_LEASE_SECONDS', '0'],
    ['NODE_LEASE_SECONDS', '20'],
    ['NODE_LOCK_WAIT_SECONDS', '120'],
    ['NODE_LOCK_WAIT_SECONDS', '1.5'],
    ['STORE_DATA', 'swift'],
    ['DYNAMODB_ENDPOINT', 'not a url'],
    ['NODE_CACHE_TABLE', 'no spaces allowed'],
    ['INTROSPECTION_DATA_BUCKET', 'Upper_Case'],
  ])('fails at start naming %s for %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigurationError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name}: `));
  });
});
