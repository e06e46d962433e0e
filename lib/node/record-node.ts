/**
 * Upstream's `record_node` (active introspection): cache a node that is already deployed, found in
 * Ironic by its MACs and BMC addresses, in `waiting` with boot unmanaged.
 *
 * @example
 * ```ts
 * const nodeInfo = await recordNode(deps, { macs: ['52:54:00:12:34:56'], bmcAddresses: [] });
 * ```
 */
import { bmcAddresses } from '#lib/domain/bmc-address.ts';
import { InspectorError, NotFoundInCacheError } from '#lib/domain/errors.ts';
import { requireIronic } from '#lib/domain/ironic-calls.ts';
import { canonicalLookupValue } from '#lib/domain/lookup-attributes.ts';
import { isDeployed } from '#lib/domain/provision-states.ts';
import { pyList } from '#lib/domain/python-repr.ts';
import type { AddNodeOptions } from '#lib/node/add-node.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What record_node needs. */
export interface RecordNodeDeps {
  readonly ironic: IronicApi | undefined;
  readonly logger: Logger;
  /** `[DEFAULT]ipmi_address_fields` (upstream's list when omitted). */
  readonly ipmiAddressFields?: readonly string[] | undefined;
  readonly addNode: (uuid: string, state: 'waiting', options: AddNodeOptions) => Promise<NodeInfo>;
}

/** The addresses a deployed node is looked up by. */
export interface RecordNodeAddresses {
  readonly bmcAddresses?: readonly string[];
  readonly macs?: readonly string[];
}

/**
 * Find the node in Ironic by MACs (its ports) and BMC addresses (its driver_info), check it is
 * `active` or `rescue`, and add it in `waiting` with boot unmanaged.
 *
 * @throws NotFoundInCacheError when neither list is given, or Ironic has no such node (404)
 * @throws InspectorError when the addresses point at several nodes, or the node is not active (400)
 */
export async function recordNode(deps: RecordNodeDeps, addresses: RecordNodeAddresses): Promise<NodeInfo> {
  const macs = [...(addresses.macs ?? [])];
  const bmcs = [...(addresses.bmcAddresses ?? [])];
  if (macs.length === 0 && bmcs.length === 0) {
    throw new NotFoundInCacheError(
      'Existing node cannot be found since neither MAC addresses nor BMC addresses are present in the inventory',
    );
  }
  const ironic = requireIronic(deps);
  const byMac = macs.length > 0 ? await ownerByMac(ironic, macs) : undefined;
  const byBmc = bmcs.length > 0 ? await ownerByBmc(ironic, deps, bmcs) : undefined;
  if (byMac !== undefined && byBmc !== undefined && byMac !== byBmc) {
    throw new InspectorError(
      `MAC addresses ${pyList(macs)} and BMC addresses ${pyList(bmcs)} correspond to different nodes: ${byMac} and ${byBmc}`,
    );
  }
  const uuid = byMac ?? byBmc;
  if (uuid === undefined) {
    throw new NotFoundInCacheError(
      `Existing node was not found by MAC address(es) ${pyList(macs)} and BMC address(es) ${pyList(bmcs)}`,
    );
  }
  const node = await ironic.getNode(uuid);
  if (!isDeployed(node)) {
    throw new InspectorError(`Node ${uuid} is not active, its provision state is ${node.provision_state}`);
  }
  return deps.addNode(uuid, 'waiting', { manageBoot: false, attributes: { mac: macs, bmc_address: bmcs } });
}

async function ownerByMac(ironic: IronicApi, macs: readonly string[]): Promise<string | undefined> {
  const owners = new Set<string>();
  for (const mac of macs) {
    for (const port of await ironic.listPorts({ address: mac }))
      if (port.node_uuid) owners.add(port.node_uuid);
  }
  if (owners.size > 1) {
    throw new InspectorError(
      `MAC addresses ${pyList(macs)} correspond to more than one node: ${pyList([...owners].sort())}`,
    );
  }
  return [...owners][0];
}

async function ownerByBmc(
  ironic: IronicApi,
  deps: RecordNodeDeps,
  bmcs: readonly string[],
): Promise<string | undefined> {
  const wanted = new Set(bmcs.map((b) => canonicalLookupValue('bmc_address', b)));
  const owners = new Set<string>();
  for (const node of await ironic.listNodes({ fields: ['uuid', 'driver_info'] })) {
    const addresses = await bmcAddresses(node, { logger: deps.logger, fields: deps.ipmiAddressFields });
    if (addresses.some((a) => wanted.has(canonicalLookupValue('bmc_address', a)))) owners.add(node.uuid);
  }
  if (owners.size > 1) {
    throw new InspectorError(
      `BMC addresses ${pyList(bmcs)} correspond to more than one node: ${pyList([...owners].sort())}`,
    );
  }
  return [...owners][0];
}
