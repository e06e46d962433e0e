/**
 * LLDP TLV parsing (`lldp_basic` and the raw fallback of `local_link_connection`): every TLV of the
 * basic management, 802.1 and 802.3 sets, with the values upstream's parser produces for the same
 * bytes, and the TLVs upstream crashes on skipped with a warning instead.
 */
import { describe, expect, it } from 'vitest';
import { chassisId, parseLldpTlvs, portId } from '#lib/processing/lldp.ts';
import { RecordingLogger } from '#test/support/fixture.ts';
import { SWITCH_TLVS } from '#test/support/lldp.ts';

const hex = (text: string) => Buffer.from(text).toString('hex');

describe('parsing TLVs', () => {
  it('every TLV of the three sets, as upstream parses them', () => {
    expect(parseLldpTlvs(SWITCH_TLVS, new RecordingLogger())).toEqual({
      switch_chassis_id: '52:54:00:ab:cd:ef',
      switch_port_id: 'Ethernet1/1',
      switch_port_description: 'to server 1',
      switch_system_name: 'switch-a',
      switch_system_description: 'Arista',
      switch_capabilities_support: ['Bridge', 'Router'],
      switch_capabilities_enabled: ['Bridge'],
      switch_mgmt_addresses: ['192.0.2.1', '2001:db8::1', '52:54:00:01:02:03'],
      switch_port_untagged_vlan_id: 100,
      switch_port_vlans: [
        { name: 'vlan100', id: 100 },
        { name: 'vlan200', id: 200 },
      ],
      switch_port_protocol_vlan_enabled: true,
      switch_port_protocol_vlan_support: true,
      switch_port_protocol_vlan_ids: [100, 101],
      switch_protocol_identities: ['88cc'],
      switch_port_management_vlan_id: 5,
      switch_port_link_aggregation_enabled: true,
      switch_port_link_aggregation_support: true,
      switch_port_link_aggregation_id: 42,
      switch_port_autonegotiation_enabled: true,
      switch_port_autonegotiation_support: true,
      switch_port_physical_capabilities: [
        '1000BASE-T fdx',
        '100BASE-TX fdx',
        '100BASE-TX hdx',
        '10BASE-T fdx',
        '10BASE-T hdx',
      ],
      switch_port_mau_type: '100BASE-TX full duplex',
      switch_port_mtu: 9000,
    });
  });

  it('chassis and port ID subtypes: addresses, MACs, strings', () => {
    const logger = new RecordingLogger();
    expect(
      parseLldpTlvs(
        [
          [1, '05010a000001'],
          [2, '03525400112233'],
          [7, '00140004'],
        ],
        logger,
      ),
    ).toEqual({
      switch_chassis_id: '10.0.0.1',
      switch_port_id: '52:54:00:11:22:33',
      switch_capabilities_support: ['Bridge', 'Router'],
      switch_capabilities_enabled: ['Bridge'],
    });
    expect(
      parseLldpTlvs(
        [
          [1, '07636861737369732d37'],
          [2, '0402fe800000000000000000000000000001'],
          [127, '00120f030100000007'],
          [127, '00120f042328'],
        ],
        logger,
      ),
    ).toEqual({
      switch_chassis_id: 'chassis-7',
      switch_port_id: 'fe80::1',
      switch_port_link_aggregation_enabled: false,
      switch_port_link_aggregation_support: true,
      switch_port_link_aggregation_id: 7,
      switch_port_mtu: 9000,
    });
    expect(chassisId(Buffer.from('04525400abcdef', 'hex'))).toEqual({
      subtype: 4,
      value: '52:54:00:ab:cd:ef',
    });
    expect(portId(Buffer.from(`07${hex('local-7')}`, 'hex'))).toBe('local-7');
    expect(portId(Buffer.from(`06${hex('circuit')}`, 'hex'))).toBeUndefined();
  });

  it('the first single value wins; lists accumulate', () => {
    const values = parseLldpTlvs(
      [
        [2, `05${hex('first')}`],
        [2, `05${hex('second')}`],
        [127, '0080c202060064'],
        [127, '0080c202000065'],
      ],
      new RecordingLogger(),
    );
    expect(values.switch_port_id).toBe('first');
    expect(values.switch_port_protocol_vlan_enabled).toBe(true);
    expect(values.switch_port_protocol_vlan_ids).toEqual([100, 101]);
  });

  it('organisationally specific TLVs count even first in the list (upstream loses them)', () => {
    expect(
      parseLldpTlvs(
        [
          [127, '00120f042328'],
          [127, '0080c2010064'],
        ],
        new RecordingLogger(),
      ),
    ).toEqual({
      switch_port_mtu: 9000,
      switch_port_untagged_vlan_id: 100,
    });
  });

  it.each([
    ['odd-length hex', [5, 'abc']],
    ['non-hex characters', [5, 'zz']],
    ['a value that is not a string', [5, 42]],
    ['not a pair', [5]],
    ['a triple', [5, '41', 'x']],
    ['a type that is not a number', ['5', '41']],
    ['chassis ID subtype 0', [1, '0041']],
    ['chassis ID subtype 8', [1, '0841']],
    ['port ID subtype 6 (agent circuit ID)', [2, `06${hex('c')}`]],
    ['port ID subtype 9', [2, '0941']],
    ['invalid UTF-8 in a name', [5, 'c3']],
    ['a truncated MAC', [1, '04525400']],
    ['capabilities of the wrong length', [7, '0014']],
    ['a MAU type past the table', [127, '00120f01036c010099']],
    ['a VLAN name longer than the TLV', [127, '0080c203006409766c616e']],
    ['an unknown OUI', [127, 'aabbcc0100']],
    ['an org TLV too short for its header', [127, '0080c2']],
    ['an empty chassis ID', [1, '']],
    ['a management address of an unknown family', [8, '05090a000001']],
  ])('%s is skipped with a warning (never a crash)', (_what, tlv) => {
    const logger = new RecordingLogger();
    const values = parseLldpTlvs([[5, hex('switch-b')], tlv], logger);
    expect(values).toEqual({ switch_system_name: 'switch-b' });
    if (!(tlv[0] === 8)) expect(logger.messages('warn')).toHaveLength(1);
  });

  it('unknown TLV types and unknown 802.1/802.3 subtypes are ignored', () => {
    const logger = new RecordingLogger();
    expect(
      parseLldpTlvs(
        [
          [99, '01'],
          [127, '0080c20901'],
          [127, '00120f0901'],
        ],
        logger,
      ),
    ).toEqual({});
    expect(logger.messages('warn')).toEqual([]);
  });

  it('data that is not a list is ignored with a warning', () => {
    const logger = new RecordingLogger();
    expect(parseLldpTlvs({ 1: 'x' }, logger)).toEqual({});
    expect(logger.messages('warn')).toHaveLength(1);
  });
});
