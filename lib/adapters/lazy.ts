/**
 * Adapters whose code is loaded on first use: in a Lambda bundle (code splitting, `infra/bundling.ts`)
 * each `import()` below is a chunk of its own, so a route that never sends a job or never reads a
 * secret never loads the SQS or Secrets Manager client. Behaviour is the adapter's own; only the
 * moment the module is loaded changes.
 *
 * @example
 * ```ts
 * const queue = lazySqsJobQueue(config.region, config.workerQueueUrl); // nothing loaded yet
 * await queue.send(job); // loads @aws-sdk/client-sqs, then sends
 * ```
 */
import type { IronicAuth } from '#lib/adapters/ironic/auth.ts';
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
