/**
 * Root device hints (`properties.root_device`), as ironic-lib's `match_root_device_hints` reads them:
 * every hint and operator against a three-disk inventory. Through the API (with `skip_block_devices`
 * and the errors a node gets): test/unit/settings-processing.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  InvalidRootDeviceHint,
  type InventoryDisk,
  matchRootDevice,
} from '#lib/processing/root-device-hints.ts';

const GIB = 1024 ** 3;
const disks: InventoryDisk[] = [
  {
    name: '/dev/sda',
    size: 50 * GIB,
    rotational: true,
    model: 'QEMU HARDDISK',
    vendor: 'ATA',
    serial: 'QM00001',
    wwn: '0x5000c500a1b2c3d4',
    hctl: '0:0:0:0',
    by_path: '/dev/disk/by-path/pci-0000:00:01.1-ata-1',
  },
  {
    name: '/dev/sdb',
    size: 10 * GIB + 512,
    rotational: false,
    model: 'Samsung SSD 870',
    vendor: 'ATA',
    serial: 'S5Y1NX0',
    wwn: null,
    hctl: '0:0:1:0',
    by_path: '/dev/disk/by-path/pci-0000:00:01.1-ata-2',
  },
  { name: 'nvme0n1', size: 400 * GIB, rotational: false, model: 'NVMe QEMU', serial: 'NV01' },
];

const pick = (hints: Record<string, unknown>) => matchRootDevice(disks, hints)?.name;

describe('size (GiB, rounded down)', () => {
  it.each([
    [10, '/dev/sdb'],
    ['50', '/dev/sda'],
    ['== 400', 'nvme0n1'],
    ['!= 50', '/dev/sdb'],
    ['< 50', '/dev/sdb'],
    ['<= 50', '/dev/sda'],
    ['> 50', 'nvme0n1'],
    ['>= 10', '/dev/sda'],
    ['<in> 400 10', '/dev/sdb'],
    ['>=400', 'nvme0n1'],
    [11, undefined],
  ])('%s → %s', (size, name) => {
    expect(pick({ size })).toBe(name);
  });

  it.each(['big', '10.5', '-1', '>= ', '<in> 10 x'])('%s is refused', (size) => {
    expect(() => pick({ size })).toThrow(InvalidRootDeviceHint);
    expect(() => pick({ size })).toThrow(
      `Root device hint "size" must be an integer number of GiB, got ${size}`,
    );
  });
});

describe('rotational', () => {
  it.each([
    [true, '/dev/sda'],
    [false, '/dev/sdb'],
    ['yes', '/dev/sda'],
    ['0', '/dev/sdb'],
    [' Off ', '/dev/sdb'],
  ])('%s → %s', (rotational, name) => {
    expect(pick({ rotational })).toBe(name);
  });

  it('refuses what is not a boolean', () => {
    expect(() => pick({ rotational: 'maybe' })).toThrow(
      'Root device hint "rotational" is not a boolean: maybe',
    );
  });
});

describe('string hints', () => {
  it.each([
    [{ model: 'Samsung SSD 870' }, '/dev/sdb'],
    [{ model: 's== NVMe QEMU' }, 'nvme0n1'],
    [{ model: 's!= QEMU HARDDISK' }, '/dev/sdb'],
    [{ model: '<in> NVMe' }, 'nvme0n1'],
    [{ serial: '<or> NV01 <or> QM00001' }, '/dev/sda'],
    [{ vendor: 'ATA', rotational: false }, '/dev/sdb'],
    [{ wwn: '0x5000c500a1b2c3d4' }, '/dev/sda'],
    [{ hctl: '0:0:1:0' }, '/dev/sdb'],
    [{ by_path: '/dev/disk/by-path/pci-0000:00:01.1-ata-2' }, '/dev/sdb'],
    [{ wwn_with_extension: 'x' }, undefined],
    [{ wwn_vendor_extension: 'x' }, undefined],
    [{ model: 'Nothing like it' }, undefined],
  ])('%o → %s', (hints, name) => {
    expect(pick(hints)).toBe(name);
  });

  it('name: with or without /dev/, or the by-path link', () => {
    expect(pick({ name: 'sdb' })).toBe('/dev/sdb');
    expect(pick({ name: '/dev/nvme0n1' })).toBe('nvme0n1');
    expect(pick({ name: '/dev/disk/by-path/pci-0000:00:01.1-ata-1' })).toBe('/dev/sda');
    expect(pick({ name: '<or> sdc <or> sdb' })).toBe('/dev/sdb');
    expect(pick({ name: 's!= /dev/sda' })).toBe('/dev/sdb');
    expect(pick({ name: '<in> nvme' })).toBe('nvme0n1');
  });

  it('refuses a value that is not a string', () => {
    expect(() => pick({ model: 42 })).toThrow('Root device hint "model" must be a string, got 42');
  });
});

describe('all hints together', () => {
  it('the first disk matching every hint; no hints match the first disk', () => {
    expect(pick({ size: '>= 10', rotational: false, vendor: 'ATA' })).toBe('/dev/sdb');
    expect(pick({ size: '>= 10', rotational: false })).toBe('/dev/sdb');
    expect(pick({})).toBe('/dev/sda');
    expect(matchRootDevice([], { size: 10 })).toBeUndefined();
  });

  it('an unknown hint is refused, even next to good ones', () => {
    expect(() => pick({ size: 10, colour: 'blue' })).toThrow('Unknown root device hint "colour"');
  });
});
