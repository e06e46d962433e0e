/**
 * `GET /v1/pxe-filter`'s answer: the filter in its canonical form with a strong ETag, or a 304
 * without a body when `If-None-Match` names it (the agent polls with the last ETag it saw).
 *
 * @example
 * ```ts
 * return pxeFilterResponse(request, await app.useCases.pxeFilter());
 * ```
 */
import type { ApiRequest } from '#lib/http/request.ts';
import { type ApiResponse, json } from '#lib/http/responses.ts';
import { canonicalBody, entityTag, ifNoneMatchHits, type PxeFilter } from '#lib/pxe-filter/pxe-filter.ts';

/** 200 with the filter and its ETag, or 304 when `If-None-Match` names it. */
export function pxeFilterResponse(request: ApiRequest, filter: PxeFilter): ApiResponse {
  const body = canonicalBody(filter);
  const etag = entityTag(body);
  // Caches may keep the answer but must ask again each time.
  const validators = { ETag: etag, 'Cache-Control': 'no-cache' };
  const response = json(200, JSON.parse(body));
  if (ifNoneMatchHits(request.headers['if-none-match'], etag)) {
    const { 'Content-Type': _json, ...headers } = response.headers;
    return { statusCode: 304, headers: { ...headers, ...validators }, body: '' };
  }
  return { ...response, headers: { ...response.headers, ...validators }, body };
}
