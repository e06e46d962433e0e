/**
 * The failed-lookup limiter's contract, run against both adapters: DynamoDB (on DynamoDB Local from
 * the global setup, in a fresh node cache table) and in memory.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbLookupFailureLimiter } from '#lib/adapters/dynamodb/lookup-failure-limiter.ts';
import { dynamoDbDocumentClient } from '#lib/adapters/dynamodb/stores.ts';
import { createNodeCacheTable } from '#lib/adapters/dynamodb/table.ts';
import { InMemoryLookupFailureLimiter } from '#lib/adapters/memory/lookup-failure-limiter.ts';
import type { LookupFailureLimiter, LookupFailureLimits } from '#lib/ports/lookup-failure-limiter.ts';

const client = new DynamoDBClient({
  endpoint: inject('dynamoDbEndpoint'),
  region: 'us-east-1',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
const db = dynamoDbDocumentClient(client);
const table = `limiter-${randomUUID()}`;

beforeAll(() => createNodeCacheTable(client, table));
afterAll(() => client.destroy());

/** A clock the test moves; starts at the beginning of a window of every length used here. */
function clock() {
  const c = { ms: Date.UTC(2030, 0, 1, 0, 0, 0) };
  return { c, now: () => c.ms };
}

type Make = (limits: LookupFailureLimits, now: () => number) => LookupFailureLimiter;

const adapters: Array<[string, Make]> = [
  ['DynamoDB', (limits, now) => new DynamoDbLookupFailureLimiter(db, table, limits, now)],
  ['memory', (limits, now) => new InMemoryLookupFailureLimiter(limits, now)],
];

// Each test uses its own source addresses, so the DynamoDB adapter's items never mix between tests.
let octet = 0;
const freshIpv4 = () => `198.51.100.${++octet}`;

describe.each(adapters)('lookup failure limiter (%s)', (_name, make) => {
  it('admits up to the budget, then refuses until the window ends', async () => {
    const { c, now } = clock();
    const limiter = make({ failuresPerWindow: 3, windowSeconds: 60 }, now);
    const source = freshIpv4();
    for (let i = 0; i < 3; i++) expect((await limiter.admit(source)).allowed).toBe(true);
    c.ms += 15_000;
    expect(await limiter.admit(source)).toEqual({ allowed: false, retryAfterSeconds: 45 });
    c.ms += 45_000; // the next window
    expect((await limiter.admit(source)).allowed).toBe(true);
  });

  it('a successful lookup gives its attempt back: only failures stay counted', async () => {
    const { now } = clock();
    const limiter = make({ failuresPerWindow: 2, windowSeconds: 60 }, now);
    const source = freshIpv4();
    for (let i = 0; i < 10; i++) {
      const admission = await limiter.admit(source);
      expect(admission.allowed).toBe(true);
      if (admission.allowed) await limiter.succeeded(admission.attempt);
    }
    expect((await limiter.admit(source)).allowed).toBe(true); // one failure
    expect((await limiter.admit(source)).allowed).toBe(true); // two
    expect((await limiter.admit(source)).allowed).toBe(false);
  });

  it('concurrent callbacks from one source cannot overspend the budget', async () => {
    const { now } = clock();
    const limiter = make({ failuresPerWindow: 5, windowSeconds: 60 }, now);
    const source = freshIpv4();
    const admissions = await Promise.all(Array.from({ length: 25 }, () => limiter.admit(source)));
    expect(admissions.filter((a) => a.allowed)).toHaveLength(5);
  });

  it('sources are counted apart; an IPv6 /64 is one source; an IPv4-mapped address is its IPv4', async () => {
    const { now } = clock();
    const limiter = make({ failuresPerWindow: 1, windowSeconds: 60 }, now);
    const a = freshIpv4();
    const b = freshIpv4();
    expect((await limiter.admit(a)).allowed).toBe(true);
    expect((await limiter.admit(b)).allowed).toBe(true);
    expect((await limiter.admit(`::ffff:${a}`)).allowed).toBe(false);
    const prefix = `2001:db8:${octet.toString(16)}:1`;
    expect((await limiter.admit(`${prefix}::1`)).allowed).toBe(true);
    expect((await limiter.admit(`${prefix}:ffff:ffff:ffff:fffe`)).allowed).toBe(false);
    expect((await limiter.admit(`2001:db8:${octet.toString(16)}:2::1`)).allowed).toBe(true);
  });

  it('a hand-back never counts below zero, nor into a later window', async () => {
    const { c, now } = clock();
    const limiter = make({ failuresPerWindow: 1, windowSeconds: 60 }, now);
    const source = freshIpv4();
    const first = await limiter.admit(source);
    expect(first.allowed).toBe(true);
    if (!first.allowed) return;
    await limiter.succeeded(first.attempt);
    await limiter.succeeded(first.attempt); // a second hand-back of the same attempt
    expect((await limiter.admit(source)).allowed).toBe(true);
    expect((await limiter.admit(source)).allowed).toBe(false); // still a budget of one, not two
    c.ms += 60_000;
    const late = await limiter.admit(source);
    expect(late.allowed).toBe(true);
    await limiter.succeeded(first.attempt); // from the old window: leaves this one alone
    expect((await limiter.admit(source)).allowed).toBe(false);
  });

  it('no limit: every callback is admitted and nothing is counted', async () => {
    const { now } = clock();
    const limiter = make({ failuresPerWindow: 0, windowSeconds: 60 }, now);
    const source = freshIpv4();
    for (let i = 0; i < 20; i++)
      expect(await limiter.admit(source)).toEqual({ allowed: true, attempt: undefined });
    await limiter.succeeded(undefined);
  });
});

describe('lookup failure limiter (DynamoDB items)', () => {
  it('one counter item per source and window, with a TTL after the window ends', async () => {
    const { c, now } = clock();
    const limiter = new DynamoDbLookupFailureLimiter(
      db,
      table,
      { failuresPerWindow: 5, windowSeconds: 300 },
      now,
    );
    const source = '2001:db8:77:5:1:2:3:4';
    await limiter.admit(source);
    c.ms += 1000;
    await limiter.admit(source.replace(/:4$/, ':5'));
    const start = c.ms / 1000 - 1;
    const item = await db.send(
      new GetCommand({
        TableName: table,
        Key: { pk: 'LOOKUP_FAILURES#2001:db8:77:5::/64', sk: `WINDOW#${start}` },
        ConsistentRead: true,
      }),
    );
    expect(item.Item).toEqual({
      pk: 'LOOKUP_FAILURES#2001:db8:77:5::/64',
      sk: `WINDOW#${start}`,
      attempts: 2,
      ttl: start + 300 + 3600,
    });
  });
});
