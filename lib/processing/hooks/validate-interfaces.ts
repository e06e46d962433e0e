/**
 * `validate_interfaces`: which NICs the node has (`all_interfaces`), which of them become Ironic ports
 * (`interfaces`, `macs`: `[processing]add_ports`), and keeping the node's ports in step with them
 * (`keep_ports`, `overwrite_existing` with `update_pxe_enabled`). Deployed nodes' ports are left alone.
 *
 * @example
 * ```ts
 * const hook = validateInterfaces({ ...config.processing, logger });
 * hook.beforeProcessing?.(data); // data.interfaces, data.macs
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import { InspectorError } from '#lib/domain/errors.ts';
import { isLoopbackIp } from '#lib/domain/lookup-attributes.ts';
import { isDeployed, provisionState } from '#lib/domain/provision-states.ts';
import { pyValue } from '#lib/domain/python-repr.ts';
import type { PortToCreate } from '#lib/node/ironic-operations.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { InterfaceRecord, ProcessingHook } from '#lib/processing/hook.ts';
import { networkOf, pxeMac } from '#lib/processing/inventory.ts';

const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;

/** What `validate_interfaces` reads. */
export type ValidateInterfacesOptions = Pick<
  ProcessingConfig,
  'addPorts' | 'keepPorts' | 'overwriteExisting' | 'updatePxeEnabled'
> & { readonly logger: Logger };

export function validateInterfaces(options: ValidateInterfacesOptions): ProcessingHook {
  return {
    name: 'validate_interfaces',
    beforeProcessing: (data) => recordInterfaces(options, data),
    async beforeUpdate(data, nodeInfo) {
      const interfaces = (data.interfaces ?? {}) as Record<string, InterfaceRecord>;
      if (options.addPorts !== 'disabled') {
        const ports: PortToCreate[] = Object.values(interfaces).map((iface) => ({
          mac: iface.mac,
          client_id: iface.client_id,
          pxe: iface.pxe ?? true,
        }));
        await nodeInfo.ironic.createPorts(ports);
      }
      const node = await nodeInfo.ironic.node();
      if (isDeployed(node)) {
        options.logger.debug(`Node is ${provisionState(node)}; not modifying or deleting its ports`, {
          node: nodeInfo.uuid,
        });
        return;
      }
      if (options.keepPorts !== 'all') await deleteUnexpectedPorts(options, data, nodeInfo);
      if (options.overwriteExisting && options.updatePxeEnabled)
        await fixPxeEnabled(options, interfaces, nodeInfo);
    },
  };
}

/** `before_processing`: `ipmi_address`, `all_interfaces`, `interfaces` and `macs` into the data. */
function recordInterfaces(options: ValidateInterfacesOptions, data: IntrospectionDocument): void {
  const { logger, addPorts } = options;
  const inventory = networkOf(data);
  const bmc = inventory.bmc_address ?? (data.ipmi_address as string | undefined);
  const bmc6 = inventory.bmc_v6address ?? (data.ipmi_v6address as string | undefined);
  data.ipmi_address = bmc && bmc !== '0.0.0.0' ? bmc : null;
  data.ipmi_v6address = bmc6 && bmc6 !== '::/0' ? bmc6 : null;

  const pxe = pxeMac(data);
  const all: Record<string, InterfaceRecord> = {};
  for (const iface of inventory.interfaces) {
    const name = iface.name;
    const mac = iface.mac_address;
    if (!name) {
      logger.error('Malformed interface record', { interface: iface });
      continue;
    }
    if (!mac) {
      logger.debug(`Skipping interface ${name} without link information`);
      continue;
    }
    if (!MAC.test(mac)) {
      logger.warn(`MAC ${mac} for interface ${name} is not valid, skipping`);
      continue;
    }
    const ipv6 = iface.ipv6_address?.split('%')[0] ?? null;
    const lower = mac.toLowerCase();
    all[name] = {
      ip: iface.ipv4_address || ipv6 || null,
      mac: lower,
      client_id: iface.client_id ?? null,
      pxe: lower === pxe,
    };
  }
  if (Object.keys(all).length === 0) throw new InspectorError('No interfaces supplied by the ramdisk');
  if (pxe === undefined && addPorts === 'pxe') {
    logger.warn('No boot interface provided in the introspection data, will add all ports with IP addresses');
  }
  const chosen: Record<string, InterfaceRecord> = {};
  for (const [name, iface] of Object.entries(all)) {
    if (name === 'lo' || (iface.ip !== null && isLoopbackIp(iface.ip))) continue;
    if (addPorts === 'pxe' && pxe !== undefined && !iface.pxe) continue;
    if (addPorts !== 'all' && !iface.ip) continue;
    chosen[name] = iface;
  }
  if (Object.keys(chosen).length === 0) {
    throw new InspectorError(`No suitable interfaces found in ${pyValue(all)}`);
  }
  data.all_interfaces = all;
  data.interfaces = chosen;
  data.macs = Object.values(chosen).map((iface) => iface.mac);
}

/** `keep_ports = present | added`: delete the node's ports whose MACs the ramdisk did not report. */
async function deleteUnexpectedPorts(
  options: ValidateInterfacesOptions,
  data: IntrospectionDocument,
  nodeInfo: NodeInfo,
): Promise<void> {
  const expected = new Set(
    options.keepPorts === 'present'
      ? Object.values((data.all_interfaces ?? {}) as Record<string, InterfaceRecord>).map((i) => i.mac)
      : ((data.macs ?? []) as string[]),
  );
  for (const port of Object.values(await nodeInfo.ironic.ports())) {
    if (expected.has(port.address.toLowerCase())) continue;
    options.logger.info(
      `Deleting port ${port.uuid} as its MAC ${port.address} is not in the expected MAC list`,
      {
        node: nodeInfo.uuid,
      },
    );
    await nodeInfo.ironic.deletePort(port);
  }
}

/** Make each port's `pxe_enabled` match whether the node booted from it. */
async function fixPxeEnabled(
  options: ValidateInterfacesOptions,
  interfaces: Record<string, InterfaceRecord>,
  nodeInfo: NodeInfo,
): Promise<void> {
  const ports = await nodeInfo.ironic.ports();
  for (const iface of Object.values(interfaces)) {
    const port = ports[iface.mac];
    if (port === undefined || port.pxe_enabled === iface.pxe) continue;
    options.logger.info(`Fixing pxe_enabled=${iface.pxe} on port ${port.uuid} to match introspected data`, {
      node: nodeInfo.uuid,
    });
    await nodeInfo.ironic.patchPort(port, [{ op: 'replace', path: '/pxe_enabled', value: iface.pxe }]);
  }
}
