/**
 * ironic-inspector's default processing hooks (`[processing]default_processing_hooks`):
 * `ramdisk_error`, `root_disk_selection`, `scheduler`, `validate_interfaces`, `capabilities`,
 * `pci_devices`. Each may act before processing (on the data alone: validation, derived fields) and
 * before the Ironic update (on the data and the node: ports, properties, capabilities).
 *
 * The inventory is checked first (decisions.md item 6): a missing or mistyped `cpu`, `memory`,
 * `disks` or `interfaces` is a failure naming the field, never a 500.
 *
 * @example
 * ```ts
 * const hooks = processingHooks(config.processing, logger);
 * for (const hook of hooks) hook.beforeProcessing?.(data);
 * ```
 */
import { z } from 'zod';
import type { ProcessingConfig, ProcessingHookName } from '#lib/config.ts';
import { InspectorError, pyValue } from '#lib/errors.ts';
import { isLoopbackIp } from '#lib/lookup-attributes.ts';
import type { NodeInfo, PortToCreate } from '#lib/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import { optionalHooks } from '#lib/processing/hooks/optional.ts';
import {
  InvalidRootDeviceHint,
  type InventoryDisk,
  matchRootDevice,
} from '#lib/processing/root-device-hints.ts';

/** One processing hook. */
export interface ProcessingHook {
  readonly name: ProcessingHookName;
  /** Validate and enrich the data; throw an InspectorError to report a failure. */
  beforeProcessing?(data: IntrospectionDocument): void;
  /** Update Ironic from the data. */
  beforeUpdate?(data: IntrospectionDocument, nodeInfo: NodeInfo): Promise<void>;
}

/** One interface as `validate_interfaces` records it in `all_interfaces`/`interfaces`. */
export interface InterfaceRecord {
  ip: string | null;
  mac: string;
  client_id: string | null;
  pxe: boolean;
}

const GIB = 1024 ** 3;
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;

const interfacesSchema = z.array(
  z.looseObject({
    name: z.string().nullable().optional(),
    mac_address: z.string().nullable().optional(),
    ipv4_address: z.string().nullable().optional(),
    ipv6_address: z.string().nullable().optional(),
    client_id: z.string().nullable().optional(),
  }),
);

/** What `validate_interfaces` needs: the NICs and the BMC addresses, nothing else. */
const networkSchema = z.looseObject({
  interfaces: interfacesSchema,
  bmc_address: z.string().nullable().optional(),
  bmc_v6address: z.string().nullable().optional(),
});

const inventorySchema = z.looseObject({
  interfaces: interfacesSchema,
  cpu: z.looseObject({
    count: z.union([z.number(), z.string()]).nullable().optional(),
    architecture: z.string().nullable().optional(),
    flags: z.array(z.string()).nullable().optional(),
  }),
  memory: z.looseObject({ physical_mb: z.union([z.number(), z.string()]).nullable().optional() }),
  disks: z.array(z.looseObject({ name: z.string(), size: z.number() })),
  bmc_address: z.string().nullable().optional(),
  bmc_v6address: z.string().nullable().optional(),
  boot: z.looseObject({ current_boot_mode: z.string().nullable().optional() }).nullable().optional(),
});
export type Inventory = z.infer<typeof inventorySchema>;

/** The ramdisk's `pci-devices` collector output, at the top of the data (not in the inventory). */
const pciDeviceSchema = z.looseObject({ vendor_id: z.string(), product_id: z.string() });

/**
 * Problems with the inventory, each naming the field (empty when it is usable). A missing inventory
 * is left to `validate_interfaces` ("Hardware inventory is empty or missing"), as upstream.
 */
export function inventoryProblems(data: IntrospectionDocument): string[] {
  const inventory = data.inventory;
  if (inventory === undefined || inventory === null) return [];
  if (typeof inventory !== 'object' || Array.isArray(inventory))
    return ['Invalid inventory: "inventory" is not an object'];
  const parsed = inventorySchema.safeParse(inventory);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const field = ['inventory', ...issue.path.map(String)].join('.');
    return issue.code === 'invalid_type' && issue.input === undefined
      ? `Invalid inventory: the "${field}" field is missing`
      : `Invalid inventory: "${field}": ${issue.message}`;
  });
}

function presentInventory(data: IntrospectionDocument): unknown {
  const inventory = data.inventory;
  if (
    inventory === undefined ||
    inventory === null ||
    (typeof inventory === 'object' && Object.keys(inventory).length === 0)
  ) {
    throw new InspectorError('Hardware inventory is empty or missing');
  }
  return inventory;
}

/** The whole inventory, once {@link inventoryProblems} found none (the update hooks). */
export function inventoryOf(data: IntrospectionDocument): Inventory {
  const parsed = inventorySchema.safeParse(presentInventory(data));
  if (!parsed.success) throw new InspectorError(inventoryProblems(data).join('\n'));
  return parsed.data;
}

/**
 * The inventory's network part (`validate_interfaces`): a missing `cpu` must not stop the MACs from
 * being read, or the node could not be found to be failed with that message.
 */
function networkOf(data: IntrospectionDocument): z.infer<typeof networkSchema> {
  const inventory = presentInventory(data) as Record<string, unknown>;
  const raw = Array.isArray(inventory.interfaces) ? inventory.interfaces : [];
  // Entry by entry: one malformed NIC must not cost the others' MACs (needed to find the node).
  const interfaces = raw.flatMap((entry) => {
    const one = interfacesSchema.element.safeParse(entry);
    return one.success ? [one.data] : [];
  });
  if (interfaces.length === 0) throw new InspectorError('No network interfaces provided in the inventory');
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    interfaces,
    bmc_address: text(inventory.bmc_address),
    bmc_v6address: text(inventory.bmc_v6address),
  };
}

/** The MAC the node PXE-booted from (`boot_interface`, maybe in pxelinux `01-aa-bb-…` form), lower-case. */
export function pxeMac(data: IntrospectionDocument): string | undefined {
  const value = data.boot_interface;
  if (typeof value !== 'string' || value === '') return undefined;
  const mac = value.includes('-') ? value.split('-').slice(1).join(':') : value;
  return mac.toLowerCase();
}

/** The BMC addresses the ramdisk reported, for lookup: [IPv4?, IPv6?], unset values dropped. */
export function reportedBmcAddresses(data: IntrospectionDocument): string[] {
  const inventory = (
    typeof data.inventory === 'object' && data.inventory !== null ? data.inventory : {}
  ) as Record<string, unknown>;
  const v4 = inventory.bmc_address ?? data.ipmi_address;
  const v6 = inventory.bmc_v6address ?? data.ipmi_v6address;
  const result: string[] = [];
  if (typeof v4 === 'string' && v4 !== '' && v4 !== '0.0.0.0') result.push(v4);
  if (typeof v6 === 'string' && v6 !== '' && v6 !== '::/0') result.push(v6);
  return result;
}

/** `ramdisk_error`: the ramdisk's own error is a failure. */
function ramdiskError(): ProcessingHook {
  return {
    name: 'ramdisk_error',
    beforeProcessing(data) {
      if (data.error) throw new InspectorError(`Ramdisk reported error: ${String(data.error)}`);
    },
  };
}

/** `validate_interfaces`: which NICs the node has, which become ports, and keeping ports in step. */
function validateInterfaces(config: ProcessingConfig, logger: Logger): ProcessingHook {
  return {
    name: 'validate_interfaces',
    beforeProcessing(data) {
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
      if (pxe === undefined && config.addPorts === 'pxe') {
        logger.warn(
          'No boot interface provided in the introspection data, will add all ports with IP addresses',
        );
      }
      const chosen: Record<string, InterfaceRecord> = {};
      for (const [name, iface] of Object.entries(all)) {
        if (name === 'lo' || (iface.ip !== null && isLoopbackIp(iface.ip))) continue;
        if (config.addPorts === 'pxe' && pxe !== undefined && !iface.pxe) continue;
        if (config.addPorts !== 'all' && !iface.ip) continue;
        chosen[name] = iface;
      }
      if (Object.keys(chosen).length === 0) {
        throw new InspectorError(`No suitable interfaces found in ${pyValue(all)}`);
      }
      data.all_interfaces = all;
      data.interfaces = chosen;
      data.macs = Object.values(chosen).map((iface) => iface.mac);
    },
    async beforeUpdate(data, nodeInfo) {
      const interfaces = (data.interfaces ?? {}) as Record<string, InterfaceRecord>;
      if (config.addPorts !== 'disabled') {
        const ports: PortToCreate[] = Object.values(interfaces).map((iface) => ({
          mac: iface.mac,
          client_id: iface.client_id,
          pxe: iface.pxe ?? true,
        }));
        await nodeInfo.createPorts(ports);
      }
      const provisionState = ((await nodeInfo.node()).provision_state ?? '').toLowerCase();
      if (provisionState === 'active' || provisionState === 'rescue') {
        logger.debug(`Node is ${provisionState}; not modifying or deleting its ports`, {
          node: nodeInfo.uuid,
        });
        return;
      }
      if (config.keepPorts !== 'all') {
        const expected = new Set(
          config.keepPorts === 'present'
            ? Object.values((data.all_interfaces ?? {}) as Record<string, InterfaceRecord>).map((i) => i.mac)
            : ((data.macs ?? []) as string[]),
        );
        for (const port of Object.values(await nodeInfo.ports())) {
          if (expected.has(port.address.toLowerCase())) continue;
          logger.info(
            `Deleting port ${port.uuid} as its MAC ${port.address} is not in the expected MAC list`,
            {
              node: nodeInfo.uuid,
            },
          );
          await nodeInfo.deletePort(port);
        }
      }
      if (config.overwriteExisting && config.updatePxeEnabled) {
        const ports = await nodeInfo.ports();
        for (const iface of Object.values(interfaces)) {
          const port = ports[iface.mac];
          if (port === undefined || port.pxe_enabled === iface.pxe) continue;
          logger.info(`Fixing pxe_enabled=${iface.pxe} on port ${port.uuid} to match introspected data`, {
            node: nodeInfo.uuid,
          });
          await nodeInfo.patchPort(port, [{ op: 'replace', path: '/pxe_enabled', value: iface.pxe }]);
        }
      }
    },
  };
}

/** `root_disk_selection`: the root disk (by hints if the node has them) and `local_gb`. */
function rootDiskSelection(config: ProcessingConfig, logger: Logger): ProcessingHook {
  return {
    name: 'root_disk_selection',
    async beforeUpdate(data, nodeInfo) {
      const inventory = inventoryOf(data);
      const properties = (await nodeInfo.node()).properties ?? {};
      const hints = properties.root_device;
      if (typeof hints === 'object' && hints !== null && Object.keys(hints).length > 0) {
        const skip = new Set(
          (Array.isArray(properties.skip_block_devices) ? properties.skip_block_devices : [])
            .map((d: unknown) =>
              typeof d === 'object' && d !== null ? (d as { name?: unknown }).name : undefined,
            )
            .filter((n: unknown): n is string => typeof n === 'string'),
        );
        const disks = inventory.disks.filter((d) => !skip.has(d.name)) as InventoryDisk[];
        let device: InventoryDisk | undefined;
        try {
          device = matchRootDevice(disks, hints as Record<string, unknown>);
        } catch (err) {
          if (!(err instanceof InvalidRootDeviceHint)) throw err;
          throw new InspectorError(
            `No disks could be found using the root device hints ${pyValue(hints)} because they failed to validate. Error: ${err.message}`,
          );
        }
        if (device === undefined) throw new InspectorError('No disks satisfied root device hints');
        logger.debug(`Disk ${device.name} of size ${device.size} satisfies root device hints`, {
          node: nodeInfo.uuid,
        });
        data.root_disk = device;
      }
      const root = data.root_disk as { size?: unknown } | null | undefined;
      let localGb = 0;
      if (root && typeof root.size === 'number') {
        localGb = Math.floor(root.size / GIB);
        if (config.diskPartitioningSpacing) localGb -= 1;
      }
      data.local_gb = localGb;
      if (config.overwriteExisting || !properties.local_gb) {
        await nodeInfo.updateProperties({ local_gb: String(localGb) });
      }
    },
  };
}

/** `scheduler`: `cpus`, `cpu_arch`, `memory_mb` into the data and the node's properties. */
function scheduler(config: ProcessingConfig, logger: Logger): ProcessingHook {
  return {
    name: 'scheduler',
    async beforeUpdate(data, nodeInfo) {
      const inventory = inventoryOf(data);
      const cpus = Number.parseInt(String(inventory.cpu.count ?? ''), 10);
      if (Number.isFinite(cpus) && inventory.cpu.architecture) {
        data.cpus = cpus;
        data.cpu_arch = String(inventory.cpu.architecture);
      } else {
        logger.warn('Malformed or missing CPU information', { node: nodeInfo.uuid, cpu: inventory.cpu });
      }
      const memory = Number.parseInt(String(inventory.memory.physical_mb ?? ''), 10);
      if (Number.isFinite(memory)) data.memory_mb = memory;
      else {
        logger.warn(
          'Malformed or missing memory information; introspection requires physical memory size from dmidecode',
          { node: nodeInfo.uuid, memory: inventory.memory },
        );
      }
      const current = (await nodeInfo.node()).properties ?? {};
      const update: Record<string, string> = {};
      for (const key of ['cpus', 'cpu_arch', 'memory_mb']) {
        if (!data[key]) continue;
        if (config.overwriteExisting || !current[key]) update[key] = String(data[key]);
      }
      if (Object.keys(update).length > 0) await nodeInfo.updateProperties(update);
    },
  };
}

/** `capabilities`: boot mode (when enabled) and CPU flag capabilities. */
function capabilities(config: ProcessingConfig): ProcessingHook {
  return {
    name: 'capabilities',
    async beforeUpdate(data, nodeInfo) {
      const inventory = inventoryOf(data);
      const caps: Record<string, string> = {};
      const bootMode = inventory.boot?.current_boot_mode;
      if (config.capabilitiesBootMode && bootMode) caps.boot_mode = bootMode;
      const flags = new Set(inventory.cpu.flags ?? []);
      for (const [flag, name] of Object.entries(config.cpuFlags)) if (flags.has(flag)) caps[name] = 'true';
      if (Object.keys(caps).length > 0) await nodeInfo.updateCapabilities(caps);
    },
  };
}

/** `pci_devices`: counts of PCI devices matching the configured aliases, as capabilities. */
function pciDevices(config: ProcessingConfig): ProcessingHook {
  return {
    name: 'pci_devices',
    async beforeUpdate(data, nodeInfo) {
      if (config.pciAliases.length === 0) return;
      const raw = Array.isArray(data.pci_devices) ? data.pci_devices : [];
      const devices = raw.flatMap((entry) => {
        const one = pciDeviceSchema.safeParse(entry);
        return one.success ? [one.data] : [];
      });
      const counts: Record<string, number> = {};
      for (const alias of config.pciAliases) {
        const n = devices.filter(
          (d) => d.vendor_id === alias.vendor_id && d.product_id === alias.product_id,
        ).length;
        if (n > 0) counts[alias.name] = n;
      }
      if (Object.keys(counts).length > 0) await nodeInfo.updateCapabilities(counts);
    },
  };
}

/** The enabled hooks, in the configured order. */
export function processingHooks(config: ProcessingConfig, logger: Logger): ProcessingHook[] {
  const factories: Record<ProcessingHookName, () => ProcessingHook> = {
    ramdisk_error: ramdiskError,
    validate_interfaces: () => validateInterfaces(config, logger),
    root_disk_selection: () => rootDiskSelection(config, logger),
    scheduler: () => scheduler(config, logger),
    capabilities: () => capabilities(config),
    pci_devices: () => pciDevices(config),
    ...optionalHooks(config, logger),
  };
  return config.hooks.map((name) => factories[name]());
}
