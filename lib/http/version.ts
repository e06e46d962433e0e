/**
 * Microversion negotiation, as upstream: `X-OpenStack-Ironic-Inspector-API-Version: X.Y` (or `latest`;
 * absent or empty means the latest) is checked before routing, and every answer carries the supported
 * range in two headers.
 *
 * @example
 * ```ts
 * checkApiVersion({ 'x-openstack-ironic-inspector-api-version': '1.19' }); // throws UnsupportedApiVersion (406)
 * ```
 */
import { MalformedApiVersion, UnsupportedApiVersion } from '#lib/domain/errors.ts';

export const MIN_API_VERSION = '1.0';
export const MAX_API_VERSION = '1.18';
export const VERSION_HEADER = 'x-openstack-ironic-inspector-api-version';
export const MIN_VERSION_HEADER = 'X-OpenStack-Ironic-Inspector-API-Minimum-Version';
export const MAX_VERSION_HEADER = 'X-OpenStack-Ironic-Inspector-API-Maximum-Version';

type Version = readonly [number, number];

function versionTuple(version: string): Version {
  const [major, minor] = version.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * The requested microversion (headers in lower case); the empty version header counts as absent
 * (docs/design.md#bad-input).
 *
 * @throws MalformedApiVersion (400) or UnsupportedApiVersion (406)
 */
export function checkApiVersion(headers: Readonly<Record<string, string>>): Version {
  const raw = headers[VERSION_HEADER]?.trim() ?? '';
  if (raw === '' || raw.toLowerCase() === 'latest') return versionTuple(MAX_API_VERSION);
  const match = /^(\d+)\.(\d+)$/.exec(raw);
  if (match === null) throw new MalformedApiVersion();
  const requested: Version = [Number(match[1]), Number(match[2])];
  if (
    compare(requested, versionTuple(MIN_API_VERSION)) < 0 ||
    compare(requested, versionTuple(MAX_API_VERSION)) > 0
  ) {
    throw new UnsupportedApiVersion(requested.join('.'), MIN_API_VERSION, MAX_API_VERSION);
  }
  return requested;
}
