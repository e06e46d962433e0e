/**
 * The AWS SDK clients and the node cache built on them: the one place that wires configuration to
 * adapters. Only endpoints differ between AWS and the local stack or tests.
 *
 * @example
 * ```ts
 * const { nodeCache } = createNodeCacheFromConfig(config(), consoleLogger);
 * ```
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbNodeStore } from '#lib/adapters/dynamodb-node-store.ts';
import { S3IntrospectionDataStore } from '#lib/adapters/s3-introspection-data-store.ts';
import type { InspectorConfig } from '#lib/config.ts';
import type { Logger } from '#lib/logger.ts';
import { NodeCache, type NodeNameResolver } from '#lib/node-cache.ts';
import type { NodeCacheDeps } from '#lib/node-info.ts';

/** The DynamoDB client for `config` (DynamoDB Local when `dynamoDbEndpoint` is set). */
export function dynamoDbClient(config: InspectorConfig): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    ...(config.dynamoDbEndpoint === undefined ? {} : { endpoint: config.dynamoDbEndpoint }),
  });
}

/** A document client that drops undefined values (optional record fields are simply absent). */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The S3 client for `config` (s3rver when `s3Endpoint` is set: path-style addressing). */
export function s3Client(config: InspectorConfig): S3Client {
  return new S3Client({
    region: config.region,
    // Checksums only where S3 requires them: s3rver rejects the newer default trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.s3Endpoint === undefined ? {} : { endpoint: config.s3Endpoint, forcePathStyle: true }),
  });
}

/** Everything a handler needs for the node cache. */
export interface NodeCacheRuntime {
  readonly nodeCache: NodeCache;
  readonly deps: NodeCacheDeps;
  readonly dynamoDb: DynamoDBClient;
  readonly s3: S3Client;
}

/** Build the node cache on DynamoDB and S3 from the configuration. */
export function createNodeCacheFromConfig(
  config: InspectorConfig,
  logger: Logger,
  options: { now?: () => Date; names?: NodeNameResolver } = {},
): NodeCacheRuntime {
  const dynamoDb = dynamoDbClient(config);
  const s3 = s3Client(config);
  const deps: NodeCacheDeps = {
    nodes: new DynamoDbNodeStore(documentClient(dynamoDb), config.nodeCacheTable),
    introspectionData: new S3IntrospectionDataStore(s3, config.introspectionDataBucket),
    logger,
    now: options.now ?? (() => new Date()),
    leaseMs: config.leaseSeconds * 1000,
    lockWaitMs: config.lockWaitSeconds * 1000,
    timeoutSeconds: config.timeoutSeconds,
  };
  return { nodeCache: new NodeCache(deps, options.names), deps, dynamoDb, s3 };
}
