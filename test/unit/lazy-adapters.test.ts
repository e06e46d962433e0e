/**
 * Adapters loaded on first use (`lib/adapters/lazy.ts`): nothing is loaded before the first call,
 * a load happens once however many calls wait for it, and a failed load is tried again. The lazy S3
 * client and store are also checked against s3rver (test/contract/introspection-data-store,
 * test/integration/node-cache-on-dynamodb).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import type { IronicAuth } from '#lib/adapters/ironic/auth.ts';
import {
  lazyClient,
  lazyIntrospectionDataStore,
  lazyIronicAuth,
  lazyJobQueue,
  lazyS3Client,
  lazyS3IntrospectionDataStore,
  once,
} from '#lib/adapters/lazy.ts';
import { memoryStores } from '#lib/adapters/memory/stores.ts';
import type { Job } from '#lib/introspection/jobs.ts';
import type { IntrospectionDataStore } from '#lib/ports/introspection-data-store.ts';
import type { JobQueue } from '#lib/ports/job-queue.ts';

const job: Job = {
  type: 'introspect',
  uuid: '1be26c0b-2f7e-4bd4-8d2f-6e1a1c6f7c1e',
  startedAt: '2026-11-25T18:00:00.000000',
};

describe('once', () => {
  it('loads once for concurrent and later callers', async () => {
    const load = vi.fn(async () => ({ loaded: true }));
    const get = once(load);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('tries a failed load again on the next call', async () => {
    const load = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('chunk not found'))
      .mockResolvedValue('ok');
    const get = once(load);
    await expect(get()).rejects.toThrow('chunk not found');
    expect(await get()).toBe('ok');
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe('lazyJobQueue', () => {
  it('builds the queue on the first send, not before, and sends through it', async () => {
    const sent: unknown[] = [];
    const load = vi.fn(async (): Promise<JobQueue> => ({ send: async (j, o) => void sent.push([j, o]) }));
    const queue = lazyJobQueue(load);
    expect(load).not.toHaveBeenCalled();
    await queue.send(job, { delayMs: 5 });
    await queue.send(job);
    expect(load).toHaveBeenCalledTimes(1);
    expect(sent).toEqual([
      [job, { delayMs: 5 }],
      [job, undefined],
    ]);
  });
});

describe('lazyIronicAuth', () => {
  it('has its type at once, loads on the first headers, and invalidates what it loaded', async () => {
    const invalidate = vi.fn(() => true);
    const load = vi.fn(
      async (): Promise<IronicAuth> => ({
        type: 'keystone',
        headers: async () => ({ 'X-Auth-Token': 't' }),
        invalidate,
      }),
    );
    const auth = lazyIronicAuth('keystone', load);
    expect(auth.type).toBe('keystone');
    expect(auth.invalidate()).toBe(false); // nothing cached yet: asking again cannot help
    expect(load).not.toHaveBeenCalled();
    expect(await auth.headers()).toEqual({ 'X-Auth-Token': 't' });
    expect(auth.invalidate()).toBe(true);
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe('lazyClient', () => {
  it('builds on the first get, once, and shows what it built', async () => {
    const load = vi.fn(async () => ({ destroyed: false }));
    const client = lazyClient(load);
    expect(client.built).toBeUndefined();
    expect(load).not.toHaveBeenCalled();
    const [a, b] = await Promise.all([client.get(), client.get()]);
    expect(a).toBe(b);
    expect(client.built).toBe(a);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('has nothing built after a failed load, and builds on the next get', async () => {
    const load = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('chunk not found'))
      .mockResolvedValue('client');
    const client = lazyClient(load);
    await expect(client.get()).rejects.toThrow('chunk not found');
    expect(client.built).toBeUndefined();
    expect(await client.get()).toBe('client');
    expect(client.built).toBe('client');
  });
});

describe('lazyS3Client', () => {
  it('loads @aws-sdk/client-s3 and builds an S3Client with the given settings', async () => {
    const client = lazyS3Client({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
      forcePathStyle: true,
    });
    expect(client.built).toBeUndefined();
    const s3 = await client.get();
    try {
      expect(s3).toBeInstanceOf(S3Client);
      expect(await s3.config.region()).toBe('eu-west-1');
      expect(s3.config.forcePathStyle).toBe(true);
    } finally {
      s3.destroy();
    }
  });
});

describe('lazyIntrospectionDataStore', () => {
  it('builds the store on the first read, write or delete, and passes every call through', async () => {
    const inner = memoryStores().introspectionData;
    const load = vi.fn(async (): Promise<IntrospectionDataStore> => inner);
    const data = lazyIntrospectionDataStore(load);
    expect(load).not.toHaveBeenCalled();
    const uuid = '1be26c0b-2f7e-4bd4-8d2f-6e1a1c6f7c1e';
    expect(await data.get(uuid, true)).toBeUndefined();
    await data.put(uuid, false, { raw: 1 });
    expect(await inner.get(uuid, false)).toEqual({ raw: 1 });
    expect(await data.get(uuid, false)).toEqual({ raw: 1 });
    await data.deleteAll(uuid);
    expect(await inner.get(uuid, false)).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('the S3 one asks for its client on the first use only, and stores through it', async () => {
    const sent: string[] = [];
    const s3 = new S3Client({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', forcePathStyle: true });
    // The request never leaves: the command's name and bucket are recorded, and an answer made up.
    s3.middlewareStack.add(
      (_next, context) => async (args) => {
        sent.push(`${context.commandName} ${(args.input as { Bucket?: string }).Bucket}`);
        return { output: { $metadata: {} }, response: {} } as never;
      },
      { step: 'initialize', name: 'recordOnly' },
    );
    const getClient = vi.fn(async () => s3);
    const data = lazyS3IntrospectionDataStore({ s3: getClient, bucket: 'introspection-data' });
    expect(getClient).not.toHaveBeenCalled();
    await data.put('u1', true, { a: 1 });
    await data.deleteAll('u1');
    expect(getClient).toHaveBeenCalledTimes(1);
    expect(sent).toEqual([
      'PutObjectCommand introspection-data',
      'DeleteObjectCommand introspection-data',
      'DeleteObjectCommand introspection-data',
    ]);
    s3.destroy();
  });
});
