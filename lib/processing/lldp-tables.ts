/**
 * The tables LLDP parsing names values with (`lib/processing/lldp.ts`): system capabilities, the
 * IEEE 802.3 PMD auto-negotiation bits and the MAU types, in upstream's wording.
 *
 * @example
 * ```ts
 * capabilityNames(0x0014); // ['Bridge', 'Router']
 * ```
 */

export const CAPABILITIES: ReadonlyArray<readonly [number, string]> = [
  [0x0002, 'Repeater'],
  [0x0004, 'Bridge'],
  [0x0008, 'WLAN'],
  [0x0010, 'Router'],
  [0x0020, 'Telephone'],
  [0x0040, 'DOCSIS cable device'],
  [0x0080, 'Station only'],
  [0x0100, 'C-Vlan'],
  [0x0200, 'S-Vlan'],
  [0x0400, 'TPMR'],
];

export const capabilityNames = (map: number) =>
  CAPABILITIES.filter(([bit]) => map & bit).map(([, name]) => name);

/**
 * The PMD auto-negotiation bits, most significant first after the first (ignored) bit. Upstream
 * reports `10BASE-T fdx` from the half-duplex bit; kept so rules see what they saw upstream.
 */
export const PMD: ReadonlyArray<readonly [number, string]> = [
  [0x4000, '10BASE-T hdx'],
  [0x4000, '10BASE-T fdx'],
  [0x1000, '10BASE-T4'],
  [0x0800, '100BASE-TX hdx'],
  [0x0400, '100BASE-TX fdx'],
  [0x0200, '100BASE-T2 hdx'],
  [0x0100, '100BASE-T2 fdx'],
  [0x0080, 'PAUSE fdx'],
  [0x0040, 'Asym PAUSE fdx'],
  [0x0020, 'Sym PAUSE fdx'],
  [0x0010, 'Asym and Sym PAUSE fdx'],
  [0x0008, '1000BASE-X hdx'],
  [0x0004, '1000BASE-X fdx'],
  [0x0002, '1000BASE-T hdx'],
  [0x0001, '1000BASE-T fdx'],
];

/** RFC 4836 ifMauType labels, by index. */
export const MAU_TYPES = [
  'Unknown',
  'AUI',
  '10BASE-5',
  'FOIRL',
  '10BASE-2',
  '10BASE-T duplex mode unknown',
  '10BASE-FP',
  '10BASE-FB',
  '10BASE-FL duplex mode unknown',
  '10BROAD36',
  '10BASE-T half duplex',
  '10BASE-T full duplex',
  '10BASE-FL half duplex',
  '10BASE-FL full duplex',
  '100 BASE-T4',
  '100BASE-TX half duplex',
  '100BASE-TX full duplex',
  '100BASE-FX half duplex',
  '100BASE-FX full duplex',
  '100BASE-T2 half duplex',
  '100BASE-T2 full duplex',
  '1000BASE-X half duplex',
  '1000BASE-X full duplex',
  '1000BASE-LX half duplex',
  '1000BASE-LX full duplex',
  '1000BASE-SX half duplex',
  '1000BASE-SX full duplex',
  '1000BASE-CX half duplex',
  '1000BASE-CX full duplex',
  '1000BASE-T half duplex',
  '1000BASE-T full duplex',
  '10GBASE-X',
  '10GBASE-LX4',
  '10GBASE-R',
  '10GBASE-ER',
  '10GBASE-LR',
  '10GBASE-SR',
  '10GBASE-W',
  '10GBASE-EW',
  '10GBASE-LW',
  '10GBASE-SW',
  '10GBASE-CX4',
  '2BASE-TL',
  '10PASS-TS',
  '100BASE-BX10D',
  '100BASE-BX10U',
  '100BASE-LX10',
  '1000BASE-BX10D',
  '1000BASE-BX10U',
  '1000BASE-LX10',
  '1000BASE-PX10D',
  '1000BASE-PX10U',
  '1000BASE-PX20D',
  '1000BASE-PX20U',
];
