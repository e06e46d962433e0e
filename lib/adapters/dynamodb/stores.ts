/**
 * The storage ports on one DynamoDB table: node records and their children, leases and power slots.
 * (Introspection data lives in S3: `lib/adapters/s3/`.)
 *
 * @example
 * ```ts
 * const stores = {
 *   ...dynamoDbStores({ documentClient, tableName: config.nodeCacheTable }),
 *   introspectionData: s3IntrospectionDataStore({ s3, bucket: config.introspectionDataBucket }),
 * };
 * ```
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbNodeStore } from '#lib/adapters/dynamodb-node-store.ts';
import type { Stores } from '#lib/ports/stores.ts';

/** What the DynamoDB stores need: a document client and the node cache table's name. */
export interface DynamoDbStoresOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The node store, lease store and power slots on the node cache table. */
export function dynamoDbStores(options: DynamoDbStoresOptions): Omit<Stores, 'introspectionData'> {
  const store = new DynamoDbNodeStore(options.documentClient, options.tableName);
  return { nodes: store, leases: store, powerSlots: store };
}
