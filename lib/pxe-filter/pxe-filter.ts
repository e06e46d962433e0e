/**
 * The PXE filter's answer, computed as upstream's dnsmasq driver computes its hosts directory
 * (`ironic_inspector/pxe_filter/dnsmasq.py`, `_sync`):
 *
 * - **allow** every active MAC (the `mac` lookup attributes of nodes under introspection), whether
 *   or not Ironic has a port for it;
 * - **deny** every other MAC Ironic has a port for;
 * - **unknown MACs** (no port, not active) are allowed while any introspection is active or when
 *   discovery (`node_not_found_hook`) is on, denied otherwise (upstream's
 *   `_should_enable_unknown_hosts`: a node without ports must be able to PXE-boot to be inspected).
 *
 * The answer has one canonical form (fixed key order, sorted lower-case MACs), so its strong ETag
 * changes exactly when the answer does.
 *
 * @example
 * ```ts
 * const filter = pxeFilter({ activeMacs: ['52:54:00:12:34:56'], ironicMacs: ['52:54:00:12:34:56',
 *   '52:54:00:ab:cd:ef'], introspectionActive: true, discovery: false });
 * // { allowed_macs: ['52:54:00:12:34:56'], denied_macs: ['52:54:00:ab:cd:ef'], unknown_macs: 'allow' }
 * ```
 */
import { createHash } from 'node:crypto';

/** What dnsmasq does for a MAC it has no file for. */
export type UnknownMacsPolicy = 'allow' | 'deny';

/** `GET /v1/pxe-filter`'s body. */
export interface PxeFilter {
  readonly allowed_macs: readonly string[];
  readonly denied_macs: readonly string[];
  readonly unknown_macs: UnknownMacsPolicy;
}

/** A MAC as the filter names it (and the agent names its files): six lower-case hex pairs and colons. */
export const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

function macs(values: Iterable<string>): Set<string> {
  const result = new Set<string>();
  for (const value of values) {
    const mac = value.trim().toLowerCase();
    // Anything else (an InfiniBand GUID, garbage) could never name a hosts file: leave it out.
    if (MAC.test(mac)) result.add(mac);
  }
  return result;
}

/** The filter for the MACs under introspection, the MACs of Ironic's ports and the settings. */
export function pxeFilter(input: {
  readonly activeMacs: Iterable<string>;
  readonly ironicMacs: Iterable<string>;
  readonly introspectionActive: boolean;
  /** Whether `node_not_found_hook` is set (discovery). */
  readonly discovery: boolean;
}): PxeFilter {
  const active = macs(input.activeMacs);
  const denied = [...macs(input.ironicMacs)].filter((mac) => !active.has(mac));
  return {
    allowed_macs: [...active].sort(),
    denied_macs: denied.sort(),
    unknown_macs: input.introspectionActive || input.discovery ? 'allow' : 'deny',
  };
}

/** The answer's bytes: the same filter always gives the same text. */
export function canonicalBody(filter: PxeFilter): string {
  return JSON.stringify({
    allowed_macs: [...filter.allowed_macs].sort(),
    denied_macs: [...filter.denied_macs].sort(),
    unknown_macs: filter.unknown_macs,
  });
}

/** A strong entity tag over the canonical body. */
export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/**
 * Whether `If-None-Match` names `etag` (RFC 9110 §13.1.2: `*`, or a list compared weakly).
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const wanted = header.trim();
  if (wanted === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return wanted.split(',').some((tag) => opaque(tag) === opaque(etag));
}
