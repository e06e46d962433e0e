/**
 * The ramdisk's inventory, read with zod: the check every callback and reapply goes through before the
 * hooks (a missing or mistyped `cpu`, `memory`, `disks` or `interfaces` is a failure naming the field,
 * never a 500: docs/design.md#bad-input), and the parts the hooks and the lookup read.
 *
 * @example
 * ```ts
 * inventoryProblems(data);     // ['Invalid inventory: the "inventory.cpu" field is missing']
 * reportedBmcAddresses(data);  // ['192.0.2.10']
 * ```
 */
import * as z from 'zod';
import { InspectorError } from '#lib/domain/errors.ts';
import { fitsLookupIndex, MAX_VALUE_BYTES } from '#lib/domain/lookup-attributes.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';

/**
 * A count or size as the ramdisk reports it: a whole number from 0 to `max`, as a number or as decimal
 * text (upstream reads it with `int()`). Anything else would reach Ironic as a property it refuses, or
 * as a wrong one (`1e308` read as 1): refused before any write (docs/design.md#input-limits).
 */
const wholeNumber = (max: number) =>
  z.union([z.number(), z.string()]).refine(
    (v) => {
      const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
      return Number.isInteger(n) && n >= 0 && n <= max;
    },
    { message: `expected a whole number from 0 to ${max}` },
  );

/** A BMC address: also a lookup attribute value, so no longer than the lookup index holds. */
const bmcAddress = z
  .string()
  .refine(fitsLookupIndex, { message: `longer than ${MAX_VALUE_BYTES} bytes (a lookup value's limit)` });

/** The largest CPU count and memory size (MiB) taken as real: 2^20 CPUs, 2^30 MiB (1 PiB). */
const MAX_CPUS = 2 ** 20;
const MAX_MEMORY_MB = 2 ** 30;

export const interfacesSchema = z.array(
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
  bmc_address: bmcAddress.nullable().optional(),
  bmc_v6address: bmcAddress.nullable().optional(),
});
export type InventoryNetwork = z.infer<typeof networkSchema>;

/** The inventory the hooks need (also the ramdisk data's schema in the OpenAPI document). */
export const inventorySchema = z.looseObject({
  interfaces: interfacesSchema,
  cpu: z.looseObject({
    count: wholeNumber(MAX_CPUS).nullable().optional(),
    architecture: z.string().nullable().optional(),
    flags: z.array(z.string()).nullable().optional(),
  }),
  memory: z.looseObject({ physical_mb: wholeNumber(MAX_MEMORY_MB).nullable().optional() }),
  disks: z.array(
    z.looseObject({
      name: z.string(),
      size: z.number().refine((n) => Number.isSafeInteger(n) && n >= 0, {
        message: 'expected a whole number of bytes, 0 or more',
      }),
    }),
  ),
  bmc_address: bmcAddress.nullable().optional(),
  bmc_v6address: bmcAddress.nullable().optional(),
  boot: z.looseObject({ current_boot_mode: z.string().nullable().optional() }).nullable().optional(),
});
export type Inventory = z.infer<typeof inventorySchema>;

/**
 * Problems with the inventory, each naming the field (empty when it is usable). A missing inventory
 * is left to `validate_interfaces` ("Hardware inventory is empty or missing"), as upstream.
 */
export function inventoryProblems(data: IntrospectionDocument): string[] {
  const inventory = data.inventory;
  const rootDisk = data.root_disk as { size?: unknown } | null | undefined;
  if (typeof rootDisk?.size === 'number' && !(Number.isSafeInteger(rootDisk.size) && rootDisk.size >= 0)) {
    return ['Invalid data: "root_disk.size": expected a whole number of bytes, 0 or more'];
  }
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
export function networkOf(data: IntrospectionDocument): InventoryNetwork {
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

/** The MACs of the interfaces `validate_interfaces` recorded (`all_interfaces`), well-formed entries only. */
export function reportedMacs(data: IntrospectionDocument): string[] {
  // A ramdisk-supplied `all_interfaces` (when validation failed) may be junk.
  const all =
    typeof data.all_interfaces === 'object' && data.all_interfaces !== null ? data.all_interfaces : {};
  return Object.values(all)
    .map((i) => (typeof i === 'object' && i !== null ? (i as { mac?: unknown }).mac : undefined))
    .filter((m): m is string => typeof m === 'string' && m !== '');
}
