/**
 * The fault suite's world: shared stores (in memory, or DynamoDB Local and s3rver), one in-memory
 * Ironic and one clock, with runtimes ("processes") built on them, each with its own faults, queue
 * and clock skew; and the tally the suite prints.
 */
import { expect } from 'vitest';
import { memoryStores } from '#lib/adapters/memory/stores.ts';
import { loadConfig } from '#lib/config.ts';
import type { Stores } from '#lib/ports/stores.ts';
import { createRuntime, type InspectorRuntime } from '#lib/runtime.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { RecordingLogger, TestClock } from '#test/support/fixture.ts';
import { freshBmc, freshMac } from '#test/support/introspection.ts';
import { ManualQueue } from '#test/support/manual-queue.ts';
import { sampleCallback } from '../../scripts/sample-callback.ts';
import { type FaultPlan, faulty } from './faulty.ts';

export const LEASE_MS = 120_000;

/** What the processes share: the stores, Ironic and the wall clock. */
export interface World {
  readonly stores: Stores;
  readonly ironic: FakeIronic;
  readonly clock: TestClock;
}

export function memoryWorld(): World {
  return { stores: memoryStores(), ironic: new FakeIronic(), clock: new TestClock() };
}

/** One process: a runtime on the world, its ports through `plan`, its own queue. */
export interface Process {
  readonly rt: InspectorRuntime;
  readonly queue: ManualQueue;
  readonly logger: RecordingLogger;
  /** Deliver its queued jobs (`times` each) to its own worker. */
  deliver(times?: number): Promise<number>;
}

export function processIn(
  world: World,
  options: { plan?: FaultPlan; skewMs?: number; env?: Record<string, string> } = {},
): Process {
  const { plan } = options;
  const wrap = <T extends object>(port: string, target: T): T =>
    plan === undefined ? target : faulty(port, target, plan);
  const queue = new ManualQueue();
  const logger = new RecordingLogger();
  const skew = options.skewMs ?? 0;
  const rt = createRuntime({
    config: loadConfig({
      INTROSPECTION_DELAY: '0',
      NODE_LEASE_SECONDS: String(LEASE_MS / 1000),
      NODE_LOCK_WAIT_SECONDS: '1',
      ...options.env,
    }),
    stores: {
      nodes: wrap('nodes', world.stores.nodes),
      leases: wrap('leases', world.stores.leases),
      powerSlots: wrap('powerSlots', world.stores.powerSlots),
      introspectionData: wrap('s3', world.stores.introspectionData),
      rules: world.stores.rules,
    },
    ironic: wrap('ironic', world.ironic),
    queue: wrap('queue', queue),
    now: () => new Date(world.clock.now().getTime() + skew),
    logger,
    ironicRetryDelayMs: 1,
  });
  return {
    rt,
    queue,
    logger,
    deliver: (times = 1) => queue.deliverAll((job) => rt.useCases.jobs.run(job), times),
  };
}

/** A node in Ironic with two NICs and a BMC, and its ramdisk callback. */
export function ironicNode(world: World): { uuid: string; callback: () => Record<string, unknown> } {
  const macs: [string, string] = [freshMac(), freshMac()];
  const bmc = freshBmc();
  const node = world.ironic.addNode({ driver_info: { ipmi_address: bmc } }, [...macs]);
  return { uuid: node.uuid, callback: () => sampleCallback(macs, bmc) };
}

/** Start introspection (managed boot) on a healthy process, until the node waits for its ramdisk. */
export async function startedNode(
  world: World,
): Promise<{ uuid: string; callback: () => Record<string, unknown> }> {
  const node = ironicNode(world);
  const healthy = processIn(world);
  await healthy.rt.useCases.start.start(node.uuid, { manageBoot: true });
  await healthy.deliver();
  expect((await world.stores.nodes.getNode(node.uuid))?.state).toBe('waiting');
  return node;
}

/** Resolves once `work` settles (its failure is the fault's, swallowed) or the plan's process crashed. */
export async function untilSettledOrCrashed(
  work: Promise<unknown>,
  plan: FaultPlan,
): Promise<'settled' | 'crashed'> {
  let settled = false;
  void work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 2500; i++) {
    if (settled) return 'settled';
    if (plan.crashed) return 'crashed';
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('work neither settled nor crashed within 5 s');
}

/**
 * What an operator and a ramdisk do after a crash, with a healthy process: wait out the lease, let
 * the clean-up run (recovery), deliver the jobs, then retry what never got an answer: the start if
 * the node has no record or is in `error` from a failed start, the ramdisk callback while it waits.
 */
export async function driveToEnd(
  world: World,
  node: { uuid: string; callback: () => Record<string, unknown> },
): Promise<void> {
  world.clock.advance(LEASE_MS + 1000);
  const healthy = processIn(world);
  await healthy.rt.useCases.periodic.run();
  await healthy.deliver();
  let record = await world.stores.nodes.getNode(node.uuid);
  if (record === undefined || (record.state === 'error' && record.error?.startsWith('Failed to submit'))) {
    await healthy.rt.useCases.start.start(node.uuid, { manageBoot: true });
    await healthy.deliver();
    record = await world.stores.nodes.getNode(node.uuid);
  }
  if (record?.state === 'waiting') {
    await healthy.rt.useCases.continue.process(node.callback());
    await healthy.deliver();
  }
}

/** The node introspected correctly, with nothing lost: state, data, Ironic's properties and ports. */
export async function expectIntrospected(world: World, uuid: string): Promise<void> {
  const record = await world.stores.nodes.getNode(uuid);
  expect(record).toMatchObject({ state: 'finished', error: null });
  expect(record?.dueJob).toBeUndefined();
  expect(await world.stores.nodes.getLookupAttributes(uuid)).toEqual([]);
  expect(await world.stores.introspectionData.get(uuid, true)).toMatchObject({ cpus: 4, memory_mb: 8192 });
  expect(await world.stores.introspectionData.get(uuid, false)).toHaveProperty('inventory');
  const node = world.ironic.nodes.get(uuid);
  expect(node?.properties).toMatchObject({ cpus: '4', memory_mb: '8192', cpu_arch: 'x86_64' });
  expect(node?.power_state).toBe('power off');
  const ports = [...world.ironic.ports.values()].filter((p) => p.node_uuid === uuid);
  expect(ports).toHaveLength(2);
}

/** The suite's count of faults injected, recovered from, and lost. */
export const tally = { injected: 0, recovered: 0, lost: 0, cases: 0 };

/** Run a case: its faults count as recovered when `check` passes, as lost when it fails. */
export async function faultCase(plans: readonly FaultPlan[], run: () => Promise<void>): Promise<void> {
  tally.cases++;
  try {
    await run();
  } catch (err) {
    const injected = plans.reduce((n, p) => n + p.injected, 0);
    tally.injected += injected;
    tally.lost += injected;
    throw err;
  }
  const injected = plans.reduce((n, p) => n + p.injected, 0);
  expect(injected).toBeGreaterThan(0);
  tally.injected += injected;
  tally.recovered += injected;
}
