/**
 * Settings of the optional processing hooks (upstream's `[extra_hardware]`, `[port_physnet]` and
 * `[accelerators]` options): the zod schemas `lib/config.ts` uses for its leaves, and the hooks' names.
 *
 * | Variable | Default | Upstream |
 * |---|---|---|
 * | `EXTRA_HARDWARE_STRICT` | `false` | `[extra_hardware]strict` |
 * | `PHYSNET_CIDR_MAP` | empty (`CIDR:physnet,…`, split at the last `:`) | `[port_physnet]cidr_map` |
 * | `ACCELERATORS_KNOWN_DEVICES` | upstream's bundled list (JSON `{"pci_devices": [...]}`) | `[accelerators]known_devices` (a YAML file upstream) |
 *
 * @example
 * ```ts
 * PHYSNET_CIDR_MAP='10.10.10.0/24:physnet_a,2001:db8::/64:physnet_b'
 * ```
 */
import { z } from 'zod';
import { type IpNetwork, parseStrictNetwork } from '#lib/domain/ip-address.ts';

/** The optional hooks, switched on by naming them in `PROCESSING_HOOKS`. */
export const OPTIONAL_HOOKS = [
  'extra_hardware',
  'lldp_basic',
  'local_link_connection',
  'physnet_cidr_map',
  'raid_device',
  'accelerators',
] as const;
export type OptionalHookName = (typeof OPTIONAL_HOOKS)[number];

/** One `cidr_map` entry. */
export interface PhysnetMapping {
  readonly cidr: string;
  readonly network: IpNetwork;
  readonly physnet: string;
}

/** One known accelerator (every key is copied to the node's `properties.accelerators`). */
export type KnownAccelerator = Readonly<Record<string, unknown>> & {
  readonly vendor_id: string;
  readonly device_id: string;
};

/** Upstream's bundled `known_accelerators.yaml`. */
export const DEFAULT_KNOWN_ACCELERATORS = {
  pci_devices: [
    { vendor_id: '10de', device_id: '1eb8', type: 'GPU', device_info: 'NVIDIA Corporation Tesla T4' },
    { vendor_id: '10de', device_id: '1df6', type: 'GPU', device_info: 'NVIDIA Corporation GV100GL' },
  ],
};

/** `PHYSNET_CIDR_MAP`'s schema. */
export const physnetCidrMapSetting = z
  .string()
  .default('')
  .transform((text, ctx): PhysnetMapping[] => {
    const mappings: PhysnetMapping[] = [];
    for (const entry of text
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '')) {
      const colon = entry.lastIndexOf(':');
      const cidr = entry.slice(0, colon).trim();
      const physnet = entry.slice(colon + 1).trim();
      if (colon < 0 || physnet === '') {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not CIDR:physnet` });
        continue;
      }
      try {
        // Upstream parses the map at every processing run and fails each one on a bad CIDR; here
        // the setting is refused at start.
        mappings.push({ cidr, network: parseStrictNetwork(cidr), physnet });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }
    return mappings;
  });

/** `ACCELERATORS_KNOWN_DEVICES`'s schema. */
export const knownAcceleratorsSetting = z
  .string()
  .optional()
  .transform((text, ctx): KnownAccelerator[] => {
    let document: unknown = DEFAULT_KNOWN_ACCELERATORS;
    if (text !== undefined) {
      try {
        document = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    }
    // Upstream's checks and messages (accel_device._validate_datasource).
    const devices = (document as { pci_devices?: unknown } | null)?.pci_devices;
    if (typeof document !== 'object' || document === null || devices === undefined) {
      ctx.addIssue({ code: 'custom', message: 'Could not find pci_devices in the configuration data' });
      return z.NEVER;
    }
    if (!Array.isArray(devices)) {
      ctx.addIssue({ code: 'custom', message: 'pci_devices should contain a list of devices' });
      return z.NEVER;
    }
    for (const device of devices) {
      const d = device as Record<string, unknown> | null;
      if (typeof d !== 'object' || d === null || !d.vendor_id || !d.device_id) {
        ctx.addIssue({ code: 'custom', message: 'one of devices is missing vendor_id or device_id' });
        return z.NEVER;
      }
    }
    return devices as KnownAccelerator[];
  });
