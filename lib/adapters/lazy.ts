/**
 * Adapters whose code is loaded on first use: in a Lambda bundle (code splitting, `infra/bundling.ts`)
 * each `import()` below is a chunk of its own, so a route that never sends a job, never reads a
 * secret and never stores or reads introspection data never loads the SQS, Secrets Manager or S3
 * client. Behaviour is the adapter's own; only the moment the module is loaded changes.
 *
 * @example
 * ```ts
 * const queue = lazySqsJobQueue(config.region, config.workerQueueUrl); // nothing loaded yet
 * await queue.send(job); // loads @aws-sdk/client-sqs, then sends
 * ```
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { IronicAuth } from '#lib/adapters/ironic/auth.ts';
import type { S3IntrospectionDataStoreOptions } from '#lib/adapters/s3/introspection-data-store.ts';
import type { IntrospectionDataStore } from '#lib/ports/introspection-data-store.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';

/** `load` run once and kept; a failed load is tried again on the next call. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
}

/** An SDK client built on first use. */
export interface LazyClient<T> {
  /** The client: the first call loads its module and builds it, later calls get the same one. */
  get(): Promise<T>;
  /** The client once built, else undefined (what there is to close). */
  readonly built: T | undefined;
}

/** A client built by `load` on the first `get()`. */
export function lazyClient<T>(load: () => Promise<T>): LazyClient<T> {
  let built: T | undefined;
  const get = once(async () => {
    built = await load();
    return built;
  });
  return {
    get,
    get built() {
      return built;
    },
  };
}

/** An S3 client with `config`; `@aws-sdk/client-s3` is loaded by the first `get()`. */
export function lazyS3Client(config: S3ClientConfig): LazyClient<S3Client> {
  return lazyClient(async () => new (await import('@aws-sdk/client-s3')).S3Client(config));
}

/** Introspection data whose store is built by `load` on the first read, write or delete. */
export function lazyIntrospectionDataStore(
  load: () => Promise<IntrospectionDataStore>,
): IntrospectionDataStore {
  const store = once(load);
  return {
    async put(uuid, processed, data) {
      return (await store()).put(uuid, processed, data);
    },
    async get(uuid, processed) {
      return (await store()).get(uuid, processed);
    },
    async deleteAll(uuid) {
      return (await store()).deleteAll(uuid);
    },
  };
}

/**
 * Introspection data in S3 (`s3IntrospectionDataStore`), on the client `s3` gives; the S3 adapter
 * (with `@aws-sdk/client-s3`) is loaded, and `s3` called, by the first read, write or delete.
 */
export function lazyS3IntrospectionDataStore(
  options: Omit<S3IntrospectionDataStoreOptions, 's3'> & { readonly s3: () => Promise<S3Client> },
): IntrospectionDataStore {
  return lazyIntrospectionDataStore(async () => {
    const [s3, { s3IntrospectionDataStore }] = await Promise.all([
      options.s3(),
      import('#lib/adapters/s3/introspection-data-store.ts'),
    ]);
    return s3IntrospectionDataStore({ ...options, s3 });
  });
}

/** A job queue whose adapter is built by `load` on the first send. */
export function lazyJobQueue(load: () => Promise<JobQueue>): JobQueue {
  const queue = once(load);
  return {
    async send(job, options) {
      return (await queue()).send(job, options);
    },
  };
}

/** The worker's SQS queue; `@aws-sdk/client-sqs` is loaded on the first send. */
export function lazySqsJobQueue(region: string, queueUrl: string): JobQueue {
  return lazyJobQueue(async () => {
    const [{ SQSClient }, { SqsJobQueue }] = await Promise.all([
      import('@aws-sdk/client-sqs'),
      import('#lib/adapters/sqs-job-queue.ts'),
    ]);
    return new SqsJobQueue(new SQSClient({ region }), queueUrl);
  });
}

/** Ironic credentials built by `load` when the first Ironic request needs headers. */
export function lazyIronicAuth(type: IronicAuth['type'], load: () => Promise<IronicAuth>): IronicAuth {
  const auth = once(load);
  let loaded: IronicAuth | undefined;
  return {
    type,
    async headers() {
      loaded = await auth();
      return loaded.headers();
    },
    invalidate() {
      return loaded?.invalidate() ?? false;
    },
  };
}

/**
 * Ironic credentials from a Secrets Manager secret (`secretBackedIronicAuth`);
 * `@aws-sdk/client-secrets-manager` is loaded by the first Ironic request.
 */
export function lazySecretBackedIronicAuth(
  region: string,
  secretId: string,
  type: 'http_basic' | 'keystone',
): IronicAuth {
  return lazyIronicAuth(type, async () => {
    const [{ SecretsManagerClient }, { secretBackedIronicAuth }] = await Promise.all([
      import('@aws-sdk/client-secrets-manager'),
      import('#lib/adapters/secrets-manager.ts'),
    ]);
    return secretBackedIronicAuth(new SecretsManagerClient({ region }), secretId, type);
  });
}
