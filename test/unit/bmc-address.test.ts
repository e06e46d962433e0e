/**
 * Reading a node's BMC address from Ironic's driver_info (upstream's `get_ipmi_address`), without
 * Ironic: which field, URL and bracket forms, `ipmi_bridging`, DNS names (a resolver given to the
 * function stands in for DNS where the answer must be known; `localhost` and `.invalid` use the real
 * one).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AddressLookup,
  bmcAddresses,
  bmcHost,
  DEFAULT_IPMI_ADDRESS_FIELDS,
} from '#lib/domain/bmc-address.ts';
import { RecordingLogger } from '#test/support/fixture.ts';

const uuid = randomUUID();
const node = (driverInfo: Record<string, unknown>) => ({ uuid, driver_info: driverInfo });

describe('bmcHost', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['  192.0.2.1  ', '192.0.2.1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['https://[fd00::5]:8000/redfish/v1', 'fd00::5'],
    ['redfish+http://192.0.2.9:8000', '192.0.2.9'],
    ['ipmi://bmc.example.com:623', 'bmc.example.com'],
    ['bmc.example.com', 'bmc.example.com'],
    // Has "//" but is no URL: taken as it is.
    ['//', '//'],
  ])('%s → %s', (value, host) => {
    expect(bmcHost(value)).toBe(host);
  });
});

describe('bmcAddresses', () => {
  it('ipmi_address first, then the fields in order, skipping empty ones', async () => {
    expect(
      await bmcAddresses(node({ ipmi_address: '192.0.2.1', redfish_address: 'https://192.0.2.2' })),
    ).toEqual(['192.0.2.1']);
    expect(
      await bmcAddresses(
        node({ ipmi_address: ' ', redfish_address: '', ilo_address: '192.0.2.3', drac_host: '192.0.2.4' }),
      ),
    ).toEqual(['192.0.2.3']);
    expect(DEFAULT_IPMI_ADDRESS_FIELDS).toEqual([
      'redfish_address',
      'ilo_address',
      'drac_host',
      'drac_address',
      'ibmc_address',
    ]);
    for (const field of DEFAULT_IPMI_ADDRESS_FIELDS) {
      expect(await bmcAddresses(node({ [field]: '192.0.2.5' }))).toEqual(['192.0.2.5']);
    }
  });

  it('other fields when given (ipmi_address is always read first); non-string values are ignored', async () => {
    const fields = ['xclarity_address', 'irmc_address'];
    expect(await bmcAddresses(node({ redfish_address: '192.0.2.6' }), { fields })).toEqual([]);
    expect(await bmcAddresses(node({ irmc_address: '192.0.2.7' }), { fields })).toEqual(['192.0.2.7']);
    expect(
      await bmcAddresses(node({ ipmi_address: '192.0.2.8', irmc_address: '192.0.2.7' }), { fields }),
    ).toEqual(['192.0.2.8']);
    expect(await bmcAddresses(node({ ipmi_address: 42, irmc_address: '192.0.2.7' }), { fields })).toEqual([
      '192.0.2.7',
    ]);
  });

  it('IPv4 and IPv6 literals, plain, bracketed or in URLs', async () => {
    expect(await bmcAddresses(node({ ipmi_address: '[2001:db8::1]' }))).toEqual(['2001:db8::1']);
    expect(await bmcAddresses(node({ redfish_address: 'https://[fd00::5]:8000/redfish/v1' }))).toEqual([
      'fd00::5',
    ]);
    expect(await bmcAddresses(node({ drac_address: 'redfish+http://192.0.2.9:8000' }))).toEqual([
      '192.0.2.9',
    ]);
  });

  it('ipmi_bridging other than "no" means no BMC address', async () => {
    expect(await bmcAddresses(node({ ipmi_address: '192.0.2.1', ipmi_bridging: 'single' }))).toEqual([]);
    expect(await bmcAddresses(node({ ipmi_address: '192.0.2.1', ipmi_bridging: 'dual' }))).toEqual([]);
    expect(await bmcAddresses(node({ ipmi_address: '192.0.2.1', ipmi_bridging: 'no' }))).toEqual([
      '192.0.2.1',
    ]);
    expect(await bmcAddresses(node({ ipmi_address: '192.0.2.1', ipmi_bridging: null }))).toEqual([
      '192.0.2.1',
    ]);
  });

  it('nothing to read: no driver_info, an empty one', async () => {
    expect(await bmcAddresses({ uuid })).toEqual([]);
    expect(await bmcAddresses(node({}))).toEqual([]);
  });

  it('a name: the last IPv4 and the last IPv6 answer, loopback answers dropped with a warning', async () => {
    const logger = new RecordingLogger();
    const asked: string[] = [];
    const lookup: AddressLookup = async (host) => {
      asked.push(host);
      return [
        { address: '192.0.2.1', family: 4 },
        { address: '192.0.2.2', family: 4 },
        { address: '127.0.0.1', family: 4 },
        { address: 'fd00::9', family: 6 },
        { address: '::1', family: 6 },
      ];
    };
    expect(
      await bmcAddresses(node({ ipmi_address: 'ipmi://bmc-1.example.com:623' }), { lookup, logger }),
    ).toEqual(['192.0.2.2', 'fd00::9']);
    expect(asked).toEqual(['bmc-1.example.com']);
    expect(logger.messages('warn')).toEqual([
      'Ignoring loopback BMC address 127.0.0.1',
      'Ignoring loopback BMC address ::1',
    ]);
  });

  it('a literal is not looked up; a loopback literal is dropped', async () => {
    const lookup: AddressLookup = async () => {
      throw new Error('a literal must not be looked up');
    };
    expect(await bmcAddresses(node({ ipmi_address: '192.0.2.3' }), { lookup })).toEqual(['192.0.2.3']);
    expect(await bmcAddresses(node({ ipmi_address: '127.0.0.2' }), { lookup })).toEqual([]);
  });

  it('a name that does not resolve is a warning and no address (the real resolver)', async () => {
    const logger = new RecordingLogger();
    expect(await bmcAddresses(node({ ipmi_address: 'bmc.invalid' }), { logger })).toEqual([]);
    expect(logger.messages('warn')).toEqual([
      `Failed to resolve the hostname (bmc.invalid) for node ${uuid}`,
    ]);
    // localhost resolves, to loopback only.
    expect(await bmcAddresses(node({ ipmi_address: 'localhost' }), { logger })).toEqual([]);
  });
});
