/**
 * The decorators' semantics (upstream's TestFsmEvent: fsm_event_before/after,
 * triggers_fsm_error_transition, fsm_transition, release_lock), on real NodeInfo objects over the
 * in-memory stores.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { InspectorError, NodeStateInvalidEvent, NodeStateRaceCondition } from '#lib/domain/errors.ts';
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import {
  fsmEventAfter,
  fsmEventBefore,
  fsmTransition,
  releaseLock,
  triggersFsmErrorTransition,
} from '#lib/node/fsm-decorators.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import { type Fixture, newUuid, nodeCacheFixture } from '#test/support/fixture.ts';

let f: Fixture;
beforeEach(async () => {
  f = await nodeCacheFixture();
});

async function nodeIn(state: IntrospectionState): Promise<NodeInfo> {
  const uuid = newUuid();
  await f.nodeCache.addNode(uuid, state);
  return f.nodeCache.nodeInfo(uuid);
}
const stored = async (nodeInfo: NodeInfo) => (await f.nodeCache.getNode(nodeInfo.uuid)).state();

describe('fsm_event_before / fsm_event_after', () => {
  it('before: the event fires before the body', async () => {
    const nodeInfo = await nodeIn('starting');
    const seen: string[] = [];
    const wrapped = fsmEventBefore('wait')(async (n: NodeInfo, suffix: string) => {
      seen.push(await stored(n));
      return `done${suffix}`;
    });
    expect(await wrapped(nodeInfo, '!')).toBe('done!');
    expect(seen).toEqual(['waiting']);
  });

  it('before: an error in the body after a successful transition keeps the new state', async () => {
    const nodeInfo = await nodeIn('starting');
    const wrapped = fsmEventBefore('wait')(async () => {
      throw new Error('after the transition');
    });
    await expect(wrapped(nodeInfo)).rejects.toThrow('after the transition');
    expect(await stored(nodeInfo)).toBe('waiting');
  });

  it('before: an invalid event stops the body from running', async () => {
    const nodeInfo = await nodeIn('finished');
    let ran = false;
    const wrapped = fsmEventBefore('wait')(async () => {
      ran = true;
    });
    await expect(wrapped(nodeInfo)).rejects.toThrow(NodeStateInvalidEvent);
    expect(ran).toBe(false);
  });

  it('after: the event fires after the body, only if it returned', async () => {
    const nodeInfo = await nodeIn('starting');
    const seen: string[] = [];
    const wrapped = fsmEventAfter('wait')(async (n: NodeInfo) => {
      seen.push(await stored(n));
      return 7;
    });
    expect(await wrapped(nodeInfo)).toBe(7);
    expect(seen).toEqual(['starting']);
    expect(await stored(nodeInfo)).toBe('waiting');

    const failing = await nodeIn('starting');
    const throwing = fsmEventAfter('wait')(async () => {
      throw new Error('body failed');
    });
    await expect(throwing(failing)).rejects.toThrow('body failed');
    expect(await stored(failing)).toBe('starting');
  });
});

describe('triggers_fsm_error_transition', () => {
  it('swallows the default no-error exceptions with a debug log and no transition', async () => {
    for (const err of [new NodeStateInvalidEvent('x'), new NodeStateRaceCondition()]) {
      const nodeInfo = await nodeIn('processing');
      const wrapped = triggersFsmErrorTransition({ logger: f.logger })(async () => {
        throw err;
      });
      expect(await wrapped(nodeInfo)).toBeUndefined();
      expect(await stored(nodeInfo)).toBe('processing');
    }
    expect(f.logger.messages('debug').some((m) => m.startsWith('Not processing error event'))).toBe(true);
  });

  it('with no_errors=() an invalid event also moves the node to error and is re-raised', async () => {
    const nodeInfo = await nodeIn('processing');
    const wrapped = triggersFsmErrorTransition({ noErrors: [] })(async () => {
      throw new NodeStateInvalidEvent('bad event');
    });
    await expect(wrapped(nodeInfo)).rejects.toThrow('bad event');
    const reread = await f.nodeCache.getNode(nodeInfo.uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.error).toBe('bad event');
  });

  it('a matching error moves the node to error and is re-raised; others pass through untouched', async () => {
    const matching = await nodeIn('processing');
    const wrapped = triggersFsmErrorTransition({ errors: [InspectorError] });
    await expect(
      wrapped(async () => {
        throw new InspectorError('hook failed');
      })(matching),
    ).rejects.toThrow('hook failed');
    expect((await f.nodeCache.getNode(matching.uuid)).error).toBe('hook failed');

    const other = await nodeIn('processing');
    await expect(
      wrapped(async () => {
        throw new TypeError('not an inspector error');
      })(other),
    ).rejects.toThrow(TypeError);
    expect(await stored(other)).toBe('processing');
  });

  it('errors=() re-raises without a transition', async () => {
    const nodeInfo = await nodeIn('processing');
    const wrapped = triggersFsmErrorTransition({ errors: [] })(async () => {
      throw new Error('boom');
    });
    await expect(wrapped(nodeInfo)).rejects.toThrow('boom');
    expect(await stored(nodeInfo)).toBe('processing');
  });
});

describe('release_lock', () => {
  it('releases a held lock exactly once, and does nothing when not held', async () => {
    const nodeInfo = await nodeIn('waiting');
    await nodeInfo.acquireLock();
    const wrapped = releaseLock(async (n: NodeInfo) => n.lockHeld);
    expect(await wrapped(nodeInfo)).toBe(true);
    expect(nodeInfo.lockHeld).toBe(false);
    expect(await f.nodeCache.nodeInfo(nodeInfo.uuid).acquireLock({ blocking: false })).toBe(true);

    const unheld = await nodeIn('waiting');
    expect(await wrapped(unheld)).toBe(false);
  });

  it('releases even when the body throws', async () => {
    const nodeInfo = await nodeIn('waiting');
    await nodeInfo.acquireLock();
    await expect(
      releaseLock(async () => {
        throw new Error('x');
      })(nodeInfo),
    ).rejects.toThrow('x');
    expect(nodeInfo.lockHeld).toBe(false);
  });
});

describe('fsm_transition', () => {
  it('reentrant (default): the event after the body, errors move the node to error', async () => {
    const nodeInfo = await nodeIn('starting');
    const seen: string[] = [];
    await fsmTransition('wait')(async (n: NodeInfo) => {
      seen.push(await stored(n));
    })(nodeInfo);
    expect(seen).toEqual(['starting']);
    expect(await stored(nodeInfo)).toBe('waiting');

    const failing = await nodeIn('starting');
    await expect(
      fsmTransition('wait')(async () => {
        throw new Error('Failed to set boot device to PXE: x');
      })(failing),
    ).rejects.toThrow('Failed to set boot device');
    const reread = await f.nodeCache.getNode(failing.uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.error).toBe('Failed to set boot device to PXE: x');
  });

  it('non-reentrant: a strict event before the body; an invalid one fails the node and reaches the caller', async () => {
    const nodeInfo = await nodeIn('waiting');
    const seen: string[] = [];
    const processNode = fsmTransition('process', { reentrant: false })(async (n: NodeInfo) => {
      seen.push(await stored(n));
      return { uuid: n.uuid };
    });
    expect(await processNode(nodeInfo)).toEqual({ uuid: nodeInfo.uuid });
    expect(seen).toEqual(['processing']);

    const forced = await nodeIn('processing');
    let ran = false;
    await expect(
      fsmTransition('process', { reentrant: false })(async () => {
        ran = true;
      })(forced),
    ).rejects.toThrow(NodeStateInvalidEvent);
    expect(ran).toBe(false);
    const reread = await f.nodeCache.getNode(forced.uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.error).toContain('no defined transition');
  });

  it("strict from finished: the inner 'error' event is invalid too, and that is what propagates", async () => {
    const nodeInfo = await nodeIn('finished');
    await expect(nodeInfo.fsmEvent('process', { strict: true })).rejects.toThrow(
      "Can not transition from state 'finished' on event 'error' (no defined transition)",
    );
    expect(await stored(nodeInfo)).toBe('finished');
  });
});
