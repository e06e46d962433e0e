/**
 * The lease store port: a node's lock is a lease (owner token and expiry) taken and released with
 * conditional writes, so a crashed holder blocks its node for at most one lease.
 *
 * @example
 * ```ts
 * const attempt = await leases.tryAcquireLease(uuid, owner, nowMs, nowMs + 120_000);
 * ```
 */
/** Result of one attempt to take a node's lease. */
export type LeaseAttempt =
  | { readonly acquired: true }
  | {
      readonly acquired: false;
      readonly holder: string | undefined;
      readonly expiresAtMs: number | undefined;
    };

/** Node leases. Implemented over DynamoDB and in memory. */
export interface LeaseStore {
  /**
   * Take the node's lease for `owner` until `expiresAtMs`, if it is free, expired at `nowMs`, already
   * `owner`'s, or `handedOverBy`'s (a lease handed over: it changes hands in the same write).
   */
  tryAcquireLease(
    uuid: string,
    owner: string,
    nowMs: number,
    expiresAtMs: number,
    handedOverBy?: string,
  ): Promise<LeaseAttempt>;

  /** Give the lease back if `owner` still holds it; false when it was not `owner`'s any more. */
  releaseLease(uuid: string, owner: string): Promise<boolean>;
}
