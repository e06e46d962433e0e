/**
 * The storage implementations the contract suite runs against: in memory, and DynamoDB Local plus
 * s3rver (started by the global setup). Each `create()` gives fresh, empty stores: a new table for
 * DynamoDB, and node UUIDs tests draw at random keep the shared bucket apart.
 *
 * @example
 * ```ts
 * describe.each(STORE_IMPLEMENTATIONS)('$name', (implementation) => {
 *   const stores = freshStores(implementation);
 *   it('starts empty', async () => expect(await stores().nodes.listNodeUuids()).toEqual([]));
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeEach, inject } from 'vitest';
import { dynamoDbDocumentClient, dynamoDbStores } from '#lib/adapters/dynamodb/stores.ts';
import { createNodeCacheTable } from '#lib/adapters/dynamodb/table.ts';
import { lazyS3IntrospectionDataStore } from '#lib/adapters/lazy.ts';
import { memoryStores } from '#lib/adapters/memory/stores.ts';
import { s3IntrospectionDataStore } from '#lib/adapters/s3/introspection-data-store.ts';
import type { LookupAttributeRow, NodeRecord } from '#lib/ports/node-store.ts';
import type { Stores } from '#lib/ports/stores.ts';

/** One storage implementation under test. */
export interface StoreImplementation {
  readonly name: string;
  /** Fresh, empty stores. */
  create(): Promise<Stores>;
}

/** Clients for the local services, made when first needed and closed after the tests using them. */
let clients: { dynamoDb: DynamoDBClient; s3: S3Client } | undefined;

function localClients(): { dynamoDb: DynamoDBClient; s3: S3Client } {
  clients ??= {
    dynamoDb: new DynamoDBClient({ region: 'us-east-1', endpoint: inject('dynamoDbEndpoint') }),
    s3: new S3Client({
      region: 'us-east-1',
      endpoint: inject('s3Endpoint'),
      forcePathStyle: true,
      // s3rver rejects the newer default checksum trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
  return clients;
}

function closeLocalClients(): void {
  clients?.dynamoDb.destroy();
  clients?.s3.destroy();
  clients = undefined;
}

/** DynamoDB Local (a new table each time) and s3rver (the shared test bucket). */
export async function localServiceStores(): Promise<Stores & { readonly tableName: string }> {
  const { dynamoDb, s3 } = localClients();
  const tableName = `contract-${randomUUID()}`;
  await createNodeCacheTable(dynamoDb, tableName);
  return {
    tableName,
    ...dynamoDbStores({ documentClient: dynamoDbDocumentClient(dynamoDb), tableName }),
    introspectionData: s3IntrospectionDataStore({ s3, bucket: inject('introspectionDataBucket') }),
  };
}

/**
 * DynamoDB Local and s3rver, with the introspection data store the runtime uses: the S3 adapter
 * loaded on first use (`lazyS3IntrospectionDataStore`), on the same client.
 */
export const LAZY_S3_STORES: StoreImplementation = {
  name: 'DynamoDB Local and s3rver, S3 adapter loaded on first use',
  async create() {
    const stores = await localServiceStores();
    const { s3 } = localClients();
    return {
      ...stores,
      introspectionData: lazyS3IntrospectionDataStore({
        s3: async () => s3,
        bucket: inject('introspectionDataBucket'),
      }),
    };
  },
};

/**
 * Inside a `describe`: fresh stores of `implementation` before each test, read with the returned
 * function.
 */
export function freshStores(implementation: StoreImplementation): () => Stores {
  let stores: Stores | undefined;
  beforeEach(async () => {
    stores = await implementation.create();
  });
  afterAll(closeLocalClients);
  return () => {
    if (stores === undefined) throw new Error('freshStores: read the stores inside a test');
    return stores;
  };
}

/** Both implementations, for `describe.each`. */
export const STORE_IMPLEMENTATIONS: readonly StoreImplementation[] = [
  { name: 'in memory', create: async () => memoryStores() },
  { name: 'DynamoDB Local and s3rver', create: localServiceStores },
];

/**
 * A node record for store tests: a random UUID, version `v1`, `starting`, started now (whole
 * milliseconds, as stored), unless `fields` says otherwise.
 */
export function testRecord(fields: Partial<NodeRecord> = {}): NodeRecord {
  return {
    uuid: randomUUID(),
    versionId: 'v1',
    state: 'starting',
    startedAt: new Date(),
    finishedAt: null,
    error: null,
    manageBoot: true,
    ...fields,
  };
}

/** Lookup attribute rows `name` = each of `values`, row ids `<prefix>00`, `<prefix>01`, … in order. */
export function testRows(name: string, values: readonly string[], prefix = 'r'): LookupAttributeRow[] {
  return values.map((value, i) => ({ rowId: `${prefix}${String(i).padStart(2, '0')}`, name, value }));
}
