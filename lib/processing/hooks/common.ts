/**
 * What the optional hooks share: the inventory's interfaces, an interface's Ironic port, and a port
 * patch that Ironic may refuse (upstream logs a 400 and carries on).
 *
 * @example
 * ```ts
 * for (const iface of inventoryInterfaces(data)) {
 *   const port = await portOf(nodeInfo, iface);
 * }
 * ```
 */
import { IronicError } from '#lib/domain/errors.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { IronicPort, JsonPatch } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** One inventory interface (fields as the ramdisk sent them). */
export type InventoryInterface = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The inventory's interfaces that are objects (others are skipped, never a crash). */
export function inventoryInterfaces(data: IntrospectionDocument): InventoryInterface[] {
  const inventory = data.inventory;
  if (!isObject(inventory) || !Array.isArray(inventory.interfaces)) return [];
  return inventory.interfaces.filter(isObject);
}

/** Whether `validate_interfaces` kept the interface (it is in `all_interfaces`). */
export function isValidInterface(data: IntrospectionDocument, iface: InventoryInterface): boolean {
  return (
    typeof iface.name === 'string' &&
    isObject(data.all_interfaces) &&
    Object.hasOwn(data.all_interfaces, iface.name)
  );
}

/** The interface's Ironic port, by MAC (Ironic keeps MACs in lower case), or undefined. */
export async function portOf(nodeInfo: NodeInfo, iface: InventoryInterface): Promise<IronicPort | undefined> {
  if (typeof iface.mac_address !== 'string') return undefined;
  const ports = await nodeInfo.ironic.ports();
  return ports[iface.mac_address] ?? ports[iface.mac_address.toLowerCase()];
}

/** A valid interface of the inventory with its Ironic port, and the log fields that name it. */
export interface InterfacePort {
  readonly iface: InventoryInterface;
  readonly port: IronicPort;
  readonly log: { readonly node: string; readonly interface: unknown };
}

/**
 * The inventory's valid interfaces that have an Ironic port, in inventory order; one without a port
 * is skipped with upstream's debug line, "Skipping <work> for interface <mac>, matching port not
 * found in Ironic."
 */
export async function* interfacePorts(
  data: IntrospectionDocument,
  nodeInfo: NodeInfo,
  logger: Logger,
  work: string,
): AsyncGenerator<InterfacePort> {
  for (const iface of inventoryInterfaces(data)) {
    if (!isValidInterface(data, iface)) continue;
    const log = { node: nodeInfo.uuid, interface: iface.name };
    const port = await portOf(nodeInfo, iface);
    if (port === undefined) {
      logger.debug(
        `Skipping ${work} for interface ${String(iface.mac_address)}, matching port not found in Ironic.`,
        log,
      );
      continue;
    }
    yield { iface, port, log };
  }
}

/** Patch a port; Ironic's 400 is logged as a warning and processing goes on, as upstream. */
export async function patchPortOrWarn(
  nodeInfo: NodeInfo,
  port: IronicPort,
  patches: readonly JsonPatch[],
  logger: Logger,
): Promise<void> {
  try {
    await nodeInfo.ironic.patchPort(port, patches);
  } catch (err) {
    if (!(err instanceof IronicError && err.ironicStatus === 400)) throw err;
    logger.warn(`Failed to update port ${port.uuid}: ${err.faultString}`, {
      node: nodeInfo.uuid,
      port: port.uuid,
    });
  }
}
