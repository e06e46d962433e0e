/**
 * Ironic provision states as the inspector reads them: compared in lower case, with the states
 * upstream allows introspection in.
 *
 * @example
 * ```ts
 * provisionState({ provision_state: 'Manageable' });                 // 'manageable'
 * assertIntrospectable(node, { permitActiveIntrospection: false }); // throws InvalidProvisionState
 * ```
 */
import { InvalidProvisionState } from '#lib/domain/errors.ts';

/** Provision states a node may be introspected in (upstream `VALID_STATES`). */
export const VALID_PROVISION_STATES: readonly string[] = [
  'enroll',
  'manageable',
  'inspecting',
  'inspect wait',
  'inspect failed',
];

/** Provision states of deployed nodes (active introspection, `permit_active_introspection`). */
export const VALID_ACTIVE_STATES: readonly string[] = ['active', 'rescue'];

/** A node's provision state in lower case ('' when Ironic gives none). */
export function provisionState(node: { readonly provision_state?: string | null | undefined }): string {
  return (node.provision_state ?? '').toLowerCase();
}

/** Whether the node is deployed (`active` or `rescue`): its ports and power are left alone. */
export function isDeployed(node: { readonly provision_state?: string | null | undefined }): boolean {
  return VALID_ACTIVE_STATES.includes(provisionState(node));
}

/**
 * Check a node may be introspected: in {@link VALID_PROVISION_STATES}, or deployed when active
 * introspection is permitted.
 *
 * @throws InvalidProvisionState 'Invalid provision state for introspection: …' (400)
 */
export function assertIntrospectable(
  node: { readonly provision_state?: string | null | undefined },
  options: { readonly permitActiveIntrospection: boolean },
): void {
  const state = provisionState(node);
  if (VALID_PROVISION_STATES.includes(state)) return;
  if (options.permitActiveIntrospection && VALID_ACTIVE_STATES.includes(state)) return;
  throw new InvalidProvisionState(state, VALID_PROVISION_STATES);
}
