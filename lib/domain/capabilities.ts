/**
 * Ironic's capabilities string (`properties.capabilities`, `k1:v1,k2:v2`), read and written as
 * upstream's `capabilities_to_dict` and `dict_to_capabilities` do.
 *
 * @example
 * ```ts
 * parseCapabilities('boot_mode:uefi,cpu_vt:true'); // { boot_mode: 'uefi', cpu_vt: 'true' }
 * formatCapabilities({ cpu_vt: true, gpu: 2 });     // 'cpu_vt:True,gpu:2'
 * ```
 */

/** Parse Ironic's capabilities string `k1:v1,k2:v2` (split on the first `:`; empty ⇒ {}). */
export function parseCapabilities(value: unknown): Record<string, string> {
  if (typeof value !== 'string' || value === '') return {};
  const result: Record<string, string> = {};
  for (const item of value.split(',')) {
    const colon = item.indexOf(':');
    if (colon < 0) continue;
    result[item.slice(0, colon)] = item.slice(colon + 1);
  }
  return result;
}

/**
 * Serialise capabilities as `k1:v1,k2:v2`; keys whose value is null/undefined are dropped; values as
 * Python's `str()` writes them (booleans `True`/`False`).
 */
export function formatCapabilities(capabilities: Readonly<Record<string, unknown>>): string {
  return Object.entries(capabilities)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}:${typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)}`)
    .join(',');
}
