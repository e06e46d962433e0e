/**
 * The introspection data store on S3, built from an options object.
 *
 * @example
 * ```ts
 * const introspectionData = s3IntrospectionDataStore({ s3, bucket: 'introspection-data' });
 * ```
 */
import type { S3Client, ServerSideEncryption } from '@aws-sdk/client-s3';
import { S3IntrospectionDataStore } from '#lib/adapters/s3-introspection-data-store.ts';
import type { IntrospectionDataStore } from '#lib/ports/introspection-data-store.ts';

/** What the S3 data store needs. */
export interface S3IntrospectionDataStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** `AES256` (S3-managed keys, the default) or `aws:kms` (the bucket's KMS key). */
  readonly encryption?: ServerSideEncryption;
}

/** Introspection data in `options.bucket`. */
export function s3IntrospectionDataStore(options: S3IntrospectionDataStoreOptions): IntrospectionDataStore {
  return new S3IntrospectionDataStore(options.s3, options.bucket, options.encryption);
}
