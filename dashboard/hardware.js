// @ts-check
/**
 * A node's hardware from its processed introspection data: the ramdisk's inventory as the
 * processing hooks left it (`root_disk`, `all_interfaces` with the PXE flag), LLDP neighbours decoded
 * from the raw TLVs (or taken from `lldp_processed` when a hook made it), and the PCI devices.
 * Pure functions of the data, no DOM.
 */

/** @typedef {Record<string, any>} Data */
/**
 * @typedef {object} Nic
 * @property {string} name
 * @property {string | undefined} mac
 * @property {string[]} ips
 * @property {boolean} pxe
 * @property {boolean | undefined} carrier
 * @property {number | undefined} speedMbps
 * @property {string | undefined} switchName
 * @property {string | undefined} switchPort
 * @property {number | undefined} vlan
 */
/**
 * @typedef {object} Disk
 * @property {string} name
 * @property {string | undefined} model
 * @property {number | undefined} size
 * @property {boolean | undefined} rotational
 * @property {string | undefined} serial
 * @property {string | undefined} wwn
 * @property {boolean} root
 */

/** @param {unknown} v @returns {string | undefined} */
const text = (v) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
/** @param {unknown} v @returns {number | undefined} */
const number = (v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};
/** @param {unknown} v @returns {Data} */
const object = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? /** @type {Data} */ (v) : {};
/** @param {unknown} v @returns {unknown[]} */
const list = (v) => (Array.isArray(v) ? v : []);

/** A BMC address, unless it is the ramdisk's "none" (`0.0.0.0`, `::/0`). @param {unknown} v */
const address = (v) => {
  const s = text(v);
  return s === '0.0.0.0' || s === '::/0' || s === '::' ? undefined : s;
};

/** @param {string} hex @returns {Uint8Array} */
function bytesOf(hex) {
  const clean = hex.replace(/[^0-9a-f]/gi, '');
  const bytes = new Uint8Array(Math.floor(clean.length / 2));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** @param {Uint8Array} bytes */
const macOf = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');

/** @param {Uint8Array} bytes */
function stringOf(bytes) {
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\0+$/, '');
  // Not printable: show the bytes instead.
  return /^[\p{L}\p{N}\p{P}\p{S} ]*$/u.test(decoded) ? decoded : macOf(bytes);
}

/**
 * Chassis ID (type 1) and port ID (type 2): a subtype byte, then a MAC (subtype 4 for a chassis, 3
 * for a port), a network address, or text.
 * @param {Uint8Array} value
 * @param {number} macSubtype
 */
function idOf(value, macSubtype) {
  const subtype = value[0];
  const rest = value.subarray(1);
  if (subtype === macSubtype && rest.length === 6) return macOf(rest);
  if (subtype === 5 && rest[0] === 1 && rest.length === 5) return [...rest.subarray(1)].join('.'); // IPv4
  return stringOf(rest);
}

/**
 * The switch a NIC is cabled to, from its raw LLDP TLVs (`[[type, "hex"], …]`, as the ramdisk
 * reports them).
 * @param {unknown} tlvs
 * @returns {{ chassisId?: string, portId?: string, portDescription?: string, systemName?: string, vlan?: number }}
 */
export function lldpOf(tlvs) {
  /** @type {{ chassisId?: string, portId?: string, portDescription?: string, systemName?: string, vlan?: number }} */
  const result = {};
  for (const tlv of list(tlvs)) {
    if (!Array.isArray(tlv) || tlv.length < 2 || typeof tlv[1] !== 'string') continue;
    const type = Number(tlv[0]);
    const value = bytesOf(tlv[1]);
    if (value.length === 0) continue;
    if (type === 1) result.chassisId = idOf(value, 4);
    else if (type === 2) result.portId = idOf(value, 3);
    else if (type === 4) result.portDescription = stringOf(value);
    else if (type === 5) result.systemName = stringOf(value);
    else if (type === 127 && value.length >= 6) {
      // IEEE 802.1 (OUI 00-80-c2), subtype 1: the port VLAN ID.
      const oui = macOf(value.subarray(0, 3));
      if (oui === '00:80:c2' && value[3] === 1) result.vlan = ((value[4] ?? 0) << 8) | (value[5] ?? 0);
    }
  }
  return result;
}

/** @param {unknown} value `01-aa-bb-…` (pxelinux) or a MAC */
function pxeMacOf(value) {
  const s = text(value);
  if (s === undefined) return undefined;
  return (s.includes('-') ? s.split('-').slice(1).join(':') : s).toLowerCase();
}

/**
 * The hardware facts of processed introspection data.
 * @param {Data} data
 */
export function hardwareOf(data) {
  const inventory = object(data.inventory);
  const cpu = object(inventory.cpu);
  const memory = object(inventory.memory);
  const system = object(inventory.system_vendor);
  const boot = object(inventory.boot);
  const root = object(data.root_disk);
  const all = object(data.all_interfaces);
  const pxeMac = pxeMacOf(data.boot_interface) ?? pxeMacOf(boot.pxe_interface);

  /** @type {Disk[]} */
  const disks = list(inventory.disks).map((raw) => {
    const d = object(raw);
    const name = text(d.name) ?? '?';
    const isRoot =
      text(root.name) === name && (text(root.serial) === undefined || text(root.serial) === text(d.serial));
    return {
      name,
      model: [text(d.vendor), text(d.model)].filter(Boolean).join(' ') || undefined,
      size: number(d.size),
      rotational: typeof d.rotational === 'boolean' ? d.rotational : undefined,
      serial: text(d.serial),
      wwn: text(d.wwn),
      root: isRoot,
    };
  });

  /** @type {Nic[]} */
  const nics = list(inventory.interfaces).map((raw) => {
    const i = object(raw);
    const name = text(i.name) ?? '?';
    const recorded = object(all[name]);
    const mac = text(i.mac_address)?.toLowerCase();
    const processed = object(recorded.lldp_processed);
    const lldp = lldpOf(i.lldp);
    return {
      name,
      mac,
      ips: [text(i.ipv4_address), text(i.ipv6_address)].filter((ip) => ip !== undefined),
      pxe: recorded.pxe === true || (mac !== undefined && mac === pxeMac),
      carrier: typeof i.has_carrier === 'boolean' ? i.has_carrier : undefined,
      speedMbps: number(i.speed_mbps),
      switchName:
        text(processed.switch_system_name) ??
        text(processed.switch_chassis_id) ??
        lldp.systemName ??
        lldp.chassisId,
      switchPort: text(processed.switch_port_id) ?? lldp.portId ?? lldp.portDescription,
      vlan: number(processed.switch_port_untagged_vlan_id) ?? lldp.vlan,
    };
  });

  /** @type {Map<string, { vendorId: string, productId: string, pciClass: string | undefined, count: number, buses: string[] }>} */
  const pci = new Map();
  for (const raw of list(data.pci_devices)) {
    const d = object(raw);
    const vendorId = text(d.vendor_id);
    const productId = text(d.product_id);
    if (vendorId === undefined || productId === undefined) continue;
    const key = `${vendorId}:${productId}`;
    const entry = pci.get(key) ?? { vendorId, productId, pciClass: text(d.class), count: 0, buses: [] };
    entry.count++;
    const bus = text(d.bus);
    if (bus !== undefined) entry.buses.push(bus);
    pci.set(key, entry);
  }

  return {
    system: {
      manufacturer: text(system.manufacturer),
      product: text(system.product_name),
      serial: text(system.serial_number),
      hostname: text(inventory.hostname),
      bmcAddress: address(inventory.bmc_address) ?? address(data.ipmi_address),
      bmcV6Address: address(inventory.bmc_v6address) ?? address(data.ipmi_v6address),
      bootMode: text(boot.current_boot_mode),
    },
    cpu: {
      model: text(cpu.model_name),
      count: number(cpu.count) ?? number(data.cpus),
      architecture: text(cpu.architecture) ?? text(data.cpu_arch),
      frequencyMhz: number(cpu.frequency),
      sockets: number(cpu.socket_count),
      flags: list(cpu.flags).filter((f) => typeof f === 'string'),
    },
    memory: {
      physicalMb: number(memory.physical_mb) ?? number(data.memory_mb),
      totalBytes: number(memory.total),
    },
    localGb: number(data.local_gb),
    disks,
    nics,
    pci: [...pci.values()],
  };
}
