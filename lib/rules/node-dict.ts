/**
 * What `node://` rule fields are evaluated against: the Ironic node as openstacksdk's
 * `Node.to_dict()` presents it to ironic-inspector's rules, that is with the SDK's attribute names
 * (`id` rather than `uuid`, `is_maintenance` rather than `maintenance`, …), every attribute present
 * (null when Ironic did not send it), and nothing else. Rules written for ironic-inspector keep
 * their meaning: `node://driver_info.deploy_kernel`, `node://is_maintenance`, `node://id`.
 *
 * @example
 * ```ts
 * sdkNodeDict({ uuid: 'u', maintenance: true }).is_maintenance; // true
 * ```
 */
import type { IronicNode } from '#lib/ports/ironic.ts';

/** openstacksdk 0.101's Node attributes and the Ironic fields they come from. */
const SDK_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ['allocation_id', 'allocation_uuid'],
  ['bios_interface', 'bios_interface'],
  ['boot_interface', 'boot_interface'],
  ['boot_mode', 'boot_mode'],
  ['chassis_id', 'chassis_uuid'],
  ['clean_step', 'clean_step'],
  ['conductor', 'conductor'],
  ['conductor_group', 'conductor_group'],
  ['console_interface', 'console_interface'],
  ['created_at', 'created_at'],
  ['deploy_interface', 'deploy_interface'],
  ['deploy_step', 'deploy_step'],
  ['driver', 'driver'],
  ['driver_info', 'driver_info'],
  ['driver_internal_info', 'driver_internal_info'],
  ['extra', 'extra'],
  ['fault', 'fault'],
  ['id', 'uuid'],
  ['inspect_interface', 'inspect_interface'],
  ['instance_id', 'instance_uuid'],
  ['instance_info', 'instance_info'],
  ['is_automated_clean_enabled', 'automated_clean'],
  ['is_console_enabled', 'console_enabled'],
  ['is_maintenance', 'maintenance'],
  ['is_protected', 'protected'],
  ['is_retired', 'retired'],
  ['is_secure_boot', 'secure_boot'],
  ['last_error', 'last_error'],
  ['links', 'links'],
  ['maintenance_reason', 'maintenance_reason'],
  ['management_interface', 'management_interface'],
  ['name', 'name'],
  ['network_interface', 'network_interface'],
  ['owner', 'owner'],
  ['port_groups', 'portgroups'],
  ['ports', 'ports'],
  ['power_interface', 'power_interface'],
  ['power_state', 'power_state'],
  ['properties', 'properties'],
  ['protected_reason', 'protected_reason'],
  ['provision_state', 'provision_state'],
  ['raid_config', 'raid_config'],
  ['raid_interface', 'raid_interface'],
  ['rescue_interface', 'rescue_interface'],
  ['reservation', 'reservation'],
  ['resource_class', 'resource_class'],
  ['retired_reason', 'retired_reason'],
  ['states', 'states'],
  ['storage_interface', 'storage_interface'],
  ['target_power_state', 'target_power_state'],
  ['target_provision_state', 'target_provision_state'],
  ['target_raid_config', 'target_raid_config'],
  ['traits', 'traits'],
  ['updated_at', 'updated_at'],
  ['vendor_interface', 'vendor_interface'],
];

/** The SDK's boolean-typed attributes (`bool(value)` when present). */
const BOOLEAN_ATTRIBUTES = new Set([
  'is_automated_clean_enabled',
  'is_console_enabled',
  'is_maintenance',
  'is_protected',
  'is_retired',
  'is_secure_boot',
]);

/** The node as `Node.to_dict()` shows it (`location`, the SDK's cloud/region, is null here). */
export function sdkNodeDict(node: IronicNode): Record<string, unknown> {
  const source = node as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const [sdkName, apiName] of SDK_ATTRIBUTES) {
    const value = source[apiName] ?? null;
    result[sdkName] = BOOLEAN_ATTRIBUTES.has(sdkName) && value !== null ? Boolean(value) : value;
  }
  result.location = null;
  return result;
}
