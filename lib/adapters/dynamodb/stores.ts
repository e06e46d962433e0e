/**
 * The storage ports on one DynamoDB table: node records and their children, leases, power slots and
 * introspection rules.
 * (Introspection data lives in S3: `lib/adapters/s3/`.)
 *
 * @example
 * ```ts
 * const stores: Stores = {
 *   ...dynamoDbStores({ documentClient, tableName: config.nodeCacheTable }),
 *   introspectionData: s3IntrospectionDataStore({ s3, bucket: config.introspectionDataBucket }),
 * };
 * ```
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLeaseStore } from '#lib/adapters/dynamodb/lease-store.ts';
import { DynamoDbNodeStore } from '#lib/adapters/dynamodb/node-store.ts';
import { DynamoDbPowerSlots } from '#lib/adapters/dynamodb/power-slots.ts';
import { DynamoDbRuleStore } from '#lib/adapters/dynamodb/rule-store.ts';
import {
  NodeCacheTableClient,
  type NodeCacheTableClientOptions,
} from '#lib/adapters/dynamodb/table-client.ts';
import type { Stores } from '#lib/ports/stores.ts';

/**
 * The document client the stores expect: it drops undefined values, so a record's optional fields
 * (`started_at`, `finished_at`, `error`) are simply absent from its item.
 *
 * @example
 * ```ts
 * const documentClient = dynamoDbDocumentClient(new DynamoDBClient({ region: 'us-east-1' }));
 * ```
 */
export function dynamoDbDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** What the DynamoDB stores need: a document client and the node cache table's name. */
export type DynamoDbStoresOptions = NodeCacheTableClientOptions;

/**
 * The node store, lease store, power slots (sharing one table client) and the rule store on the node
 * cache table.
 *
 * @example
 * ```ts
 * const { nodes, leases, powerSlots, rules } = dynamoDbStores({ documentClient, tableName: 'node-cache' });
 * ```
 */
export function dynamoDbStores(options: DynamoDbStoresOptions): Omit<Stores, 'introspectionData'> {
  const table = new NodeCacheTableClient(options);
  return {
    nodes: new DynamoDbNodeStore({ table }),
    leases: new DynamoDbLeaseStore({ table }),
    powerSlots: new DynamoDbPowerSlots({ table }),
    rules: new DynamoDbRuleStore(options.documentClient, options.tableName),
  };
}
