/**
 * The use case behind `GET /v1/pxe-filter`: read the active MACs and whether any introspection is
 * active from the node cache (index queries, no Scan), list Ironic's port addresses once (paged,
 * addresses only), and compute the filter as upstream's dnsmasq driver does (`lib/pxe-filter/`).
 * The route answers it with its ETag (`lib/http/pxe-filter.ts`).
 *
 * @example
 * ```ts
 * const filter = await currentPxeFilter({ nodeCache, ironic, discovery: false });
 * ```
 */
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import { type PxeFilter, pxeFilter } from '#lib/pxe-filter/pxe-filter.ts';

/** What the filter is read from (the node cache provides both). */
export interface PxeFilterSources {
  activeMacs(): Promise<Set<string>>;
  introspectionActive(): Promise<boolean>;
}

export interface PxeFilterDeps {
  readonly nodeCache: PxeFilterSources;
  readonly ironic: IronicApi | undefined;
  /** `node_not_found_hook` is set. */
  readonly discovery: boolean;
}

/** The current filter. Ironic's errors propagate (IronicUnavailable is a 503). */
export async function currentPxeFilter(deps: PxeFilterDeps): Promise<PxeFilter> {
  const ironic = requireIronic(deps);
  const [activeMacs, introspectionActive, ports] = await Promise.all([
    deps.nodeCache.activeMacs(),
    deps.nodeCache.introspectionActive(),
    ironic.listPorts({ fields: ['address'] }),
  ]);
  return pxeFilter({
    activeMacs,
    ironicMacs: ports.map((port) => port.address),
    introspectionActive,
    discovery: deps.discovery,
  });
}
