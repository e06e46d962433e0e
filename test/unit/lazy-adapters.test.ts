/**
 * Adapters loaded on first use (`lib/adapters/lazy.ts`): nothing is loaded before the first call,
 * a load happens once however many calls wait for it, and a failed load is tried again.
 */
import { describe, expect, it, vi } from 'vitest';
import type { IronicAuth } from '#lib/adapters/ironic/auth.ts';
import { lazyIronicAuth, lazyJobQueue, once } from '#lib/adapters/lazy.ts';
import type { Job } from '#lib/introspection/jobs.ts';
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
