/**
 * A realistic ramdisk callback (`POST /v1/continue` body): the sample inventory from a real
 * ironic-python-agent run (`test/fixtures/sample-inventory.json`), given a node's MACs and BMC address.
 * Used by the tests and the demo.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';

const sampleSchema = z.looseObject({
  inventory: z.looseObject({
    interfaces: z.array(z.looseObject({ mac_address: z.string() })).min(2),
    bmc_address: z.string(),
    boot: z.looseObject({ pxe_interface: z.string() }),
  }),
  boot_interface: z.string(),
});

/** The callback for a node with NICs `macs` (the first one PXE-boots) and BMC `bmc`. */
export function sampleCallback(macs: readonly [string, string], bmc: string): Record<string, unknown> {
  const text = readFileSync(resolve(import.meta.dirname, '../test/fixtures/sample-inventory.json'), 'utf8');
  const sample = sampleSchema.parse(JSON.parse(text));
  const [first, second] = sample.inventory.interfaces as [{ mac_address: string }, { mac_address: string }];
  first.mac_address = macs[0];
  second.mac_address = macs[1];
  sample.inventory.bmc_address = bmc;
  sample.inventory.boot.pxe_interface = macs[0];
  sample.boot_interface = `01-${macs[0].replaceAll(':', '-')}`;
  return sample;
}
