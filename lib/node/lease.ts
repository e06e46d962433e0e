/**
 * A node's lock: upstream's per-node semaphore, here a lease in the lease store (an owner token and
 * an expiry, taken and released with conditional writes), so that it holds across Lambda containers
 * and a crashed holder blocks its node for at most one lease (docs/design.md#leases).
 *
 * ```
 * holder A   |--acquire--------- work ---------release|
 * holder B        |--try: busy--| poll with backoff ... |--acquire-- …        (blocking)
 * holder C        |--try: busy--> false                                        (non-blocking)
 * A crashes  |--acquire--- work ---X          (nothing releases)
 * holder D                              |--busy--|  ...  |lease expired: acquire|
 *            <------------------- leaseMs -------------->
 * ```
 *
 * The lease lasts `NODE_LEASE_SECONDS` (120 s by default), longer than the longest function timeout of
 * any holder (api 30 s, worker 90 s, clean-up 120 s with non-blocking locks), so a live holder never
 * loses its lease; a blocking waiter gives up after `NODE_LOCK_WAIT_SECONDS` with 409.
 *
 * @example
 * ```ts
 * const lease = new NodeLease({ uuid, leases, leaseMs: 120_000, lockWaitMs: 10_000, now, logger });
 * if (await lease.acquire({ blocking: false })) {
 *   try { … } finally { await lease.release(); }
 * }
 * ```
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeLockedError } from '#lib/domain/errors.ts';
import type { LeaseStore } from '#lib/ports/lease-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';

/** The lease store and the lease settings, shared by every NodeInfo of a node cache. */
export interface NodeLeaseSettings {
  readonly leases: LeaseStore;
  /** Lease length in ms (`NODE_LEASE_SECONDS`). */
  readonly leaseMs: number;
  /** How long a blocking acquisition waits, in ms (`NODE_LOCK_WAIT_SECONDS`). */
  readonly lockWaitMs: number;
}

/** What one node's lease needs. */
export interface NodeLeaseOptions extends NodeLeaseSettings {
  readonly uuid: string;
  /** The wall clock (UTC). Expiry compares this clock across holders, so hosts must keep NTP time. */
  readonly now: () => Date;
  readonly logger: Logger;
  readonly metrics?: MetricsSink | undefined;
  /**
   * The owner token of a lease handed over by another holder ({@link NodeLease.handOff}): acquiring
   * with it takes that lease over in the same write instead of waiting for it.
   */
  readonly handedOverBy?: string | undefined;
}

/** A lease this close to its expiry is treated as gone: re-acquire it rather than trust it. */
const LEASE_SAFETY_MS = 1000;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 500;

/** One node's lease, as one holder (a NodeInfo) sees it. */
export class NodeLease {
  readonly #options: NodeLeaseOptions;
  /** The owner token; kept across release so logs can tie acquisitions to this holder. */
  readonly #owner = randomUUID();
  #expiresAtMs: number | undefined;
  /** The token of a lease handed over to this holder, until it has taken the lease over. */
  #handedOverBy: string | undefined;

  constructor(options: NodeLeaseOptions) {
    this.#options = options;
    this.#handedOverBy = options.handedOverBy;
  }

  /** Whether this holder holds the lease (by its own clock). */
  get held(): boolean {
    return this.#expiresAtMs !== undefined && this.#expiresAtMs > this.#options.now().getTime();
  }

  /**
   * Take the lease. Holding it already returns true without a write. Otherwise one conditional write
   * takes it if it is free, expired, or handed over to this holder. Non-blocking: return whether that
   * worked. Blocking (the default): poll with jittered backoff for at most `lockWaitMs`, then throw.
   *
   * @throws NodeLockedError (409) when blocking and the wait ran out
   */
  async acquire(options: { readonly blocking?: boolean } = {}): Promise<boolean> {
    const blocking = options.blocking ?? true;
    const { uuid, logger, metrics, leases, leaseMs, lockWaitMs } = this.#options;
    const nowMs = this.#options.now().getTime();
    if (this.#expiresAtMs !== undefined && this.#expiresAtMs - LEASE_SAFETY_MS > nowMs) {
      logger.debug('Lock is already held by this NodeInfo', { node: uuid });
      return true;
    }
    const deadline = performance.now() + lockWaitMs;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const attemptMs = this.#options.now().getTime();
      const expiresAtMs = attemptMs + leaseMs;
      const attempt = await leases.tryAcquireLease(
        uuid,
        this.#owner,
        attemptMs,
        expiresAtMs,
        this.#handedOverBy,
      );
      if (attempt.acquired) {
        this.#expiresAtMs = expiresAtMs;
        this.#handedOverBy = undefined;
        logger.debug('Successfully acquired lock', { node: uuid });
        return true;
      }
      if (!blocking) {
        logger.debug('Unable to acquire lock', { node: uuid, holder: attempt.holder });
        return false;
      }
      if (pause === FIRST_POLL_MS) metrics?.count('LockWaits');
      const left = deadline - performance.now();
      if (left <= 0) {
        logger.warn('Gave up waiting for the node lock', {
          node: uuid,
          holder: attempt.holder,
          waitedMs: lockWaitMs,
        });
        throw new NodeLockedError();
      }
      // Jittered exponential backoff, so 20 waiters do not hammer the lease item in step.
      await sleep(Math.min(left, pause * (0.5 + Math.random())));
      pause = Math.min(MAX_POLL_MS, pause * 2);
    }
  }

  /**
   * Hand the held lease to another holder (the worker finishing what a request started): renew it,
   * forget it here without releasing it, and return the owner token the next holder acquires with.
   *
   * ```
   * api request  |--lookup: acquire--process--renew, enqueue job, answer|
   * worker                                                  |--acquire with token (no wait)--finish--release|
   * 2nd callback                        |--waits on the lease ..................................|--acquire--|
   * ```
   * A second callback in between waits on the lease instead of seeing a node half-way through. If
   * the job is late past the lease, the lease expires as any crashed holder's.
   *
   * @throws NodeLockedError when the lease was lost meanwhile
   */
  async handOff(): Promise<string> {
    const { uuid, leases, leaseMs } = this.#options;
    if (this.#expiresAtMs === undefined) throw new Error(`BUG: handing off a lock not held on node ${uuid}`);
    // Renew first, so the next holder gets a whole lease however long this one has run.
    const nowMs = this.#options.now().getTime();
    const attempt = await leases.tryAcquireLease(uuid, this.#owner, nowMs, nowMs + leaseMs);
    if (!attempt.acquired) throw new NodeLockedError();
    this.#expiresAtMs = undefined;
    return this.#owner;
  }

  /** Give the lease back if this holder holds it; a no-op otherwise (also when called twice). */
  async release(): Promise<void> {
    const { uuid, logger, leases } = this.#options;
    if (this.#expiresAtMs === undefined) return;
    this.#expiresAtMs = undefined;
    let released: boolean;
    try {
      released = await leases.releaseLease(uuid, this.#owner);
    } catch (err) {
      // The work under the lease is done (and maybe committed): a failed release must not turn it
      // into a failure. The lease expires by itself.
      logger.warn('Could not release the node lease; it will expire', { node: uuid, error: String(err) });
      return;
    }
    if (!released) {
      logger.warn('Node lease had expired and was taken over before it was released', { node: uuid });
    } else {
      logger.debug('Successfully released lock', { node: uuid });
    }
  }
}
