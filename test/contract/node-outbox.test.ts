/**
 * The node store's contract for the outbox (docs/design.md#recovery), for every implementation: the
 * due job and progress time kept as written, changed and cleared by the record's conditional writes
 * (a finish clears them with the children), and the stalled-node query the recovery reads.
 */
import { describe, expect, it } from 'vitest';
import { NodeStateRaceCondition } from '#lib/domain/errors.ts';
import { freshStores, STORE_IMPLEMENTATIONS, testRecord, testRows } from '#test/support/stores.ts';

const at = (iso: string) => new Date(iso);

describe.each(STORE_IMPLEMENTATIONS)('node outbox: $name', (implementation) => {
  const stores = freshStores(implementation);

  it('keeps a due job and progress time as written, and a record without them has none', async () => {
    const { nodes } = stores();
    const record = testRecord({
      dueJob: { type: 'finish', powerOff: true },
      progressAt: at('2026-03-01T10:00:01.250Z'),
    });
    await nodes.replaceNode(record, [], null);
    expect(await nodes.getNode(record.uuid)).toEqual(record);
    const bare = testRecord();
    await nodes.replaceNode(bare, [], null);
    const read = await nodes.getNode(bare.uuid);
    expect(read?.dueJob).toBeUndefined();
    expect(read?.progressAt).toBeUndefined();
  });

  it('sets, replaces and clears the due job with the state, under the version condition', async () => {
    const { nodes } = stores();
    const record = testRecord({ state: 'waiting' });
    await nodes.replaceNode(record, [], null);
    await nodes.updateNode(
      record.uuid,
      'v1',
      {
        state: 'processing',
        dueJob: { type: 'process', powerOff: false },
        progressAt: at('2026-03-01T10:00:00Z'),
      },
      'v2',
    );
    expect(await nodes.getNode(record.uuid)).toMatchObject({
      state: 'processing',
      dueJob: { type: 'process', powerOff: false },
      progressAt: at('2026-03-01T10:00:00Z'),
    });
    // A stale writer cannot move the outbox either.
    await expect(nodes.updateNode(record.uuid, 'v1', { dueJob: { type: 'abort' } }, 'v9')).rejects.toThrow(
      NodeStateRaceCondition,
    );
    await nodes.updateNode(record.uuid, 'v2', { dueJob: { type: 'finish', powerOff: false } }, 'v3');
    expect((await nodes.getNode(record.uuid))?.dueJob).toEqual({ type: 'finish', powerOff: false });
    await nodes.updateNode(record.uuid, 'v3', { dueJob: null, progressAt: null }, 'v4');
    const cleared = await nodes.getNode(record.uuid);
    expect(cleared?.dueJob).toBeUndefined();
    expect(cleared?.progressAt).toBeUndefined();
    expect(cleared?.state).toBe('processing');
  });

  it('clears the outbox in the finish transaction', async () => {
    const { nodes } = stores();
    const record = testRecord({
      state: 'processing',
      dueJob: { type: 'finish', powerOff: true },
      progressAt: at('2026-03-01T10:00:00Z'),
    });
    await nodes.replaceNode(record, testRows('mac', ['aa']), null);
    await nodes.finishNode(
      record.uuid,
      'v1',
      { state: 'finished', finishedAt: at('2026-03-01T10:01:00Z'), dueJob: null, progressAt: null },
      'v2',
    );
    const finished = await nodes.getNode(record.uuid);
    expect(finished?.state).toBe('finished');
    expect(finished?.dueJob).toBeUndefined();
    expect(await nodes.getLookupAttributes(record.uuid)).toEqual([]);
  });

  it('lists the records of the given states whose progress (else start) is before the threshold', async () => {
    const { nodes } = stores();
    const threshold = at('2026-03-01T12:00:00Z');
    const stalled = testRecord({
      state: 'processing',
      startedAt: at('2026-03-01T11:00:00Z'),
      progressAt: at('2026-03-01T11:59:59.999Z'),
      dueJob: { type: 'finish', powerOff: true },
    });
    const progressing = testRecord({
      state: 'processing',
      startedAt: at('2026-03-01T11:00:00Z'),
      progressAt: at('2026-03-01T12:00:00Z'),
      dueJob: { type: 'process', powerOff: true },
    });
    const oldWithoutProgress = testRecord({ state: 'starting', startedAt: at('2026-03-01T10:00:00Z') });
    const newWithoutProgress = testRecord({ state: 'starting', startedAt: at('2026-03-01T12:00:01Z') });
    const otherState = testRecord({ state: 'waiting', startedAt: at('2026-03-01T10:00:00Z') });
    for (const r of [stalled, progressing, oldWithoutProgress, newWithoutProgress, otherState]) {
      await nodes.replaceNode(r, [], null);
    }
    const found = await nodes.listStalledNodes(['starting', 'processing', 'aborting'], threshold);
    expect(found.map((r) => r.uuid).sort()).toEqual([stalled.uuid, oldWithoutProgress.uuid].sort());
    expect(found.find((r) => r.uuid === stalled.uuid)).toEqual(stalled);
    expect(await nodes.listStalledNodes(['waiting'], threshold)).toEqual([otherState]);
    expect(await nodes.listStalledNodes([], threshold)).toEqual([]);
  });
});
