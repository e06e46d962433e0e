/**
 * The API fuzzer (test/support/fuzz.ts) on the local stack with in-memory stores and the in-memory
 * Ironic: 1,000 generated requests to every route of `ROUTES`, and 1,000 generated ramdisk callbacks
 * for nodes waiting for them. No answer is a 5xx, the service still answers, and the stores hold
 * nothing partial afterwards. It prints the counts per route. A shorter run on DynamoDB Local and
 * s3rver: test/integration/fuzz-api-on-dynamodb.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { ROUTES } from '#lib/http/routes.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import {
  countsTable,
  expectStillAnswering,
  fuzzCallbacks,
  fuzzRoutes,
  storeProblems,
} from '#test/support/fuzz.ts';
import { freshBmc, freshNics, threeNicCallback } from '#test/support/introspection.ts';
import { startTestStack } from '#test/support/stack.ts';

/** Inputs per route (`FUZZ_RUNS` changes it for a longer or shorter run by hand). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

it(`${RUNS} generated inputs per route and ${RUNS} generated callbacks: no 5xx, nothing partial`, async () => {
  const ironic = new FakeIronic();
  const stack = await startTestStack({
    ironic,
    // Generated callbacks fail their lookups by the thousand from one address: no per-source limit
    // here (its own tests are in callback-lookup-security).
    env: { LOOKUP_FAILURES_PER_MINUTE: '0' },
  });
  try {
    // Nodes to aim at: finished (with data), waiting, in error, and known to Ironic only.
    const names: string[] = [];
    const uuids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const nics = freshNics();
      const bmc = freshBmc();
      const name = `fuzz-${randomUUID().slice(0, 8)}`;
      const node = ironic.addNode({ name, driver_info: { ipmi_address: bmc } }, [nics.pxe]);
      names.push(name);
      uuids.push(node.uuid);
      if (i === 3) continue;
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
      if (i === 0) {
        const done = await stack.call('POST', '/v1/continue', { body: threeNicCallback(nics, bmc) });
        expect(done.status).toBe(200);
      }
      if (i === 2)
        expect((await stack.call('POST', `/v1/introspection/${node.uuid}/abort`)).status).toBe(202);
    }
    await stack.idle();

    const counts = await fuzzRoutes(stack, { uuids, names }, { runs: RUNS });
    counts.push(await fuzzCallbacks(stack, ironic, { runs: RUNS }));
    console.log(countsTable(counts));

    expect(counts.map((c) => c.route).slice(0, ROUTES.length)).toEqual(
      ROUTES.map((r) => `${r.method} ${r.path}`),
    );
    for (const c of counts) {
      expect(c.inputs).toBeGreaterThanOrEqual(RUNS);
      expect([...c.statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    }
    await expectStillAnswering(stack);
    expect(await storeProblems(stack)).toEqual([]);
  } finally {
    await stack.stop();
  }
}, 300_000);
