/**
 * The use case behind `GET /v1/pxe-filter`: read the active MACs and whether any introspection is
 * active from the node cache (index queries, no Scan), list Ironic's port addresses once (paged,
 * addresses only), and answer the filter with its ETag; an unchanged answer is a 304 without a body.
 *
 * @example
 * ```ts
 * const response = await pxeFilterResponse(request, { nodeCache, ironic, discovery: false });
 * ```
 */
import type { ApiRequest, ApiResponse } from '#lib/http/api.ts';
import {
  json,
  MAX_API_VERSION,
  MAX_VERSION_HEADER,
  MIN_API_VERSION,
  MIN_VERSION_HEADER,
} from '#lib/http/api.ts';
import { requireIronic } from '#lib/ironic/calls.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import {
  canonicalBody,
  entityTag,
  ifNoneMatchHits,
  type PxeFilter,
  pxeFilter,
} from '#lib/pxe-filter/pxe-filter.ts';

/** What the filter is read from (the node cache provides the first two). */
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

/** `GET /v1/pxe-filter`: 200 with the filter and its ETag, or 304 when `If-None-Match` names it. */
export async function pxeFilterResponse(request: ApiRequest, deps: PxeFilterDeps): Promise<ApiResponse> {
  const body = canonicalBody(await currentPxeFilter(deps));
  const etag = entityTag(body);
  // Caches may keep the answer but must ask again each time (the agent polls with If-None-Match).
  const validators = { ETag: etag, 'Cache-Control': 'no-cache' };
  if (ifNoneMatchHits(request.headers['if-none-match'], etag)) {
    return {
      statusCode: 304,
      headers: {
        ...validators,
        [MIN_VERSION_HEADER]: MIN_API_VERSION,
        [MAX_VERSION_HEADER]: MAX_API_VERSION,
      },
      body: '',
    };
  }
  const response = json(200, JSON.parse(body));
  return { ...response, headers: { ...response.headers, ...validators }, body };
}
