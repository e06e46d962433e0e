/**
 * Introspection data in S3: one JSON object per node and kind, named as upstream's Swift store names
 * them (`inspector_data-<uuid>` processed, `inspector_data-<uuid>-UNPROCESSED` raw), encrypted at rest
 * (server-side encryption requested on every put).
 *
 * @example
 * ```ts
 * const data = s3IntrospectionDataStore({ s3: s3Client, bucket: 'serverless-inspector-introspection-data' });
 * await data.put(uuid, true, processedInventory);
 * ```
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { IntrospectionDataStore, IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';

/** The object key of a node's processed or unprocessed data. */
export function introspectionDataKey(uuid: string, processed: boolean): string {
  return processed ? `inspector_data-${uuid}` : `inspector_data-${uuid}-UNPROCESSED`;
}

/** What the S3 data store needs. */
export interface S3IntrospectionDataStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** `AES256` (S3-managed keys, the default) or `aws:kms` (the bucket's KMS key). */
  readonly encryption?: ServerSideEncryption;
}

/** S3 implementation of {@link IntrospectionDataStore}. */
export class S3IntrospectionDataStore implements IntrospectionDataStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #encryption: ServerSideEncryption;

  constructor(options: S3IntrospectionDataStoreOptions) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#encryption = options.encryption ?? 'AES256';
  }

  async put(uuid: string, processed: boolean, data: IntrospectionDocument): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: introspectionDataKey(uuid, processed),
        Body: JSON.stringify(data),
        ContentType: 'application/json',
        ServerSideEncryption: this.#encryption,
      }),
    );
  }

  async get(uuid: string, processed: boolean): Promise<IntrospectionDocument | undefined> {
    try {
      const object = await this.#s3.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: introspectionDataKey(uuid, processed) }),
      );
      const text = (await object.Body?.transformToString('utf-8')) ?? '';
      return JSON.parse(text) as IntrospectionDocument;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async deleteAll(uuid: string): Promise<void> {
    // Two single deletes rather than DeleteObjects: no Content-MD5 needed, and a missing key is fine.
    await Promise.all(
      [true, false].map((processed) =>
        this.#s3.send(
          new DeleteObjectCommand({ Bucket: this.#bucket, Key: introspectionDataKey(uuid, processed) }),
        ),
      ),
    );
  }
}

/**
 * Introspection data in `options.bucket`, as the port.
 *
 * @example
 * ```ts
 * const introspectionData = s3IntrospectionDataStore({ s3, bucket: 'introspection-data' });
 * ```
 */
export function s3IntrospectionDataStore(options: S3IntrospectionDataStoreOptions): IntrospectionDataStore {
  return new S3IntrospectionDataStore(options);
}
