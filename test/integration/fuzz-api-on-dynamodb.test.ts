/**
 * A shorter run of the API fuzzer (test/support/fuzz.ts) on DynamoDB Local and s3rver, where limits
 * the in-memory stores do not have (index key sizes, item sizes) would show: generated requests to
 * every route and generated callbacks, no 5xx, nothing partial left in the table or the bucket. The
 * 1,000-per-route run on the in-memory stores: test/unit/fuzz-api.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import {
  countsTable,
  expectStillAnswering,
  fuzzCallbacks,
  fuzzRoutes,
  storeProblems,
} from '#test/support/fuzz.ts';
import { freshBmc } from '#test/support/introspection.ts';
import { startTestStack } from '#test/support/stack.ts';

const RUNS = 50;

it(`${RUNS} generated inputs per route and ${RUNS} callbacks on the real stores: no 5xx, nothing partial`, async () => {
  const ironic = new FakeIronic();
  const stack = await startTestStack({
    ironic,
    stores: 'local-services',
    // Generated callbacks fail their lookups by the thousand from one address: no per-source limit
    // here (its own tests are in callback-lookup-security).
    env: { LOOKUP_FAILURES_PER_MINUTE: '0' },
  });
  try {
    const names = [0, 1].map(() => `fuzz-${randomUUID().slice(0, 8)}`);
    const uuids = names.map(
      (name) => ironic.addNode({ name, driver_info: { ipmi_address: freshBmc() } }).uuid,
    );
    expect((await stack.call('POST', `/v1/introspection/${uuids[0]}?manage_boot=0`)).status).toBe(202);

    const counts = await fuzzRoutes(stack, { uuids, names }, { runs: RUNS });
    counts.push(await fuzzCallbacks(stack, ironic, { runs: RUNS }));
    console.log(countsTable(counts));
    for (const c of counts) expect([...c.statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    await expectStillAnswering(stack);
    expect(await storeProblems(stack)).toEqual([]);
  } finally {
    await stack.stop();
  }
}, 300_000);
