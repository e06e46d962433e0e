/**
 * LLDP as a switch port announces it, in the ramdisk's form (`[type, "<hex>"]` pairs): a fixed
 * sample with every TLV the parser knows, and a builder for a port with a given chassis MAC, port
 * name, system name, VLANs and MTU.
 */

/** Chassis 52:54:00:ab:cd:ef, port Ethernet1/1, switch-a, VLANs 100 and 200, MTU 9000, and the rest. */
export const SWITCH_TLVS: Array<[number, string]> = [
  [1, '04525400abcdef'],
  [2, '0545746865726e6574312f31'],
  [3, '0078'],
  [4, '746f207365727665722031'],
  [5, '7377697463682d61'],
  [6, '417269737461'],
  [7, '00140004'],
  [8, '0501c0000201020000000100'],
  [8, '110220010db8000000000000000000000001020000000100'],
  [8, '0706525400010203'],
  [127, '0080c2010064'],
  [127, '0080c203006407766c616e313030'],
  [127, '0080c20300c808766c616e32303000'],
  [127, '0080c202060064'],
  [127, '0080c202020065'],
  [127, '0080c2040288cc'],
  [127, '0080c2060005'],
  [127, '0080c207030000002a'],
  [127, '00120f01036c010010'],
  [127, '00120f042328'],
  [0, ''],
];

const hex = (bytes: Buffer | string) =>
  (typeof bytes === 'string' ? Buffer.from(bytes) : bytes).toString('hex');
const u16 = (n: number) => n.toString(16).padStart(4, '0');

/** The TLVs of one switch port. */
export function switchPortTlvs(port: {
  chassisMac: string;
  portName: string;
  systemName: string;
  vlans: ReadonlyArray<{ id: number; name: string }>;
  mtu: number;
}): Array<[number, string]> {
  return [
    [1, `04${port.chassisMac.replaceAll(':', '')}`],
    [2, `05${hex(port.portName)}`],
    [3, '0078'],
    [5, hex(port.systemName)],
    [127, `0080c201${u16(port.vlans[0]?.id ?? 1)}`],
    ...port.vlans.map((v): [number, string] => [
      127,
      `0080c203${u16(v.id)}${v.name.length.toString(16).padStart(2, '0')}${hex(v.name)}`,
    ]),
    [127, `00120f04${u16(port.mtu)}`],
    [0, ''],
  ];
}
