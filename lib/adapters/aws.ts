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
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbNodeStore } from '#lib/adapters/dynamodb-node-store.ts';
import { type IronicAuth, ironicAuth } from '#lib/adapters/ironic/auth.ts';
import { IronicClient } from '#lib/adapters/ironic/client.ts';
import { S3IntrospectionDataStore } from '#lib/adapters/s3/introspection-data-store.ts';
import { secretBackedIronicAuth } from '#lib/adapters/secrets-manager.ts';
import type { InspectorConfig } from '#lib/config.ts';
import { ConfigurationError } from '#lib/domain/errors.ts';
import { NodeCache } from '#lib/node-cache.ts';
import type { NodeCacheDeps } from '#lib/node-info.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';

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

/**
 * How the Ironic client authenticates: no credentials, or a credentials document from the
 * environment (local) or from Secrets Manager (AWS).
 */
export function ironicAuthFromConfig(config: InspectorConfig): IronicAuth {
  const { authType, credentials, credentialsSecretId } = config.ironic;
  if (authType === 'none') return ironicAuth('none', undefined);
  if (credentials !== undefined) return ironicAuth(authType, credentials);
  if (credentialsSecretId !== undefined) {
    return secretBackedIronicAuth(
      new SecretsManagerClient({ region: config.region }),
      credentialsSecretId,
      authType,
    );
  }
  throw new ConfigurationError(
    `Invalid configuration: IRONIC_AUTH_TYPE is ${authType}, but neither IRONIC_CREDENTIALS nor IRONIC_CREDENTIALS_SECRET_ID is set`,
  );
}

/** The Ironic client for `config`. */
export function ironicClient(config: InspectorConfig, logger: Logger): IronicClient {
  return new IronicClient({
    url: config.ironic.url,
    auth: ironicAuthFromConfig(config),
    timeoutMs: config.ironic.timeoutSeconds * 1000,
    logger,
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
  options: {
    now?: () => Date;
    ironic?: IronicApi | null;
    metrics?: MetricsSink;
    ironicRetryDelayMs?: number;
  } = {},
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
    // null: explicitly without Ironic (unit tests of the cache alone).
    ironic: options.ironic === null ? undefined : (options.ironic ?? ironicClient(config, logger)),
    updatePxeEnabled: config.processing.updatePxeEnabled,
    ipmiAddressFields: config.ipmiAddressFields,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.ironicRetryDelayMs !== undefined ? { ironicRetryDelayMs: options.ironicRetryDelayMs } : {}),
  };
  return { nodeCache: new NodeCache(deps), deps, dynamoDb, s3 };
}
