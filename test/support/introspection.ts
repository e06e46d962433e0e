/**
 * One introspection through the API of a test stack: start, the worker's jobs, the ramdisk callback,
 * the finish; and ramdisk callbacks with three NICs (PXE with an address, another with an address,
 * one without), so every `add_ports`/`keep_ports` choice gives a different set of ports.
 */
import { expect } from 'vitest';
import { sampleCallback } from '../../scripts/sample-callback.ts';
import type { TestStack } from './stack.ts';

/** The three NICs of {@link threeNicCallback}. */
export interface ThreeNics {
  /** eth0: PXE-booted, with an IPv4 address. */
  readonly pxe: string;
  /** eth1: an IPv4 address, not the PXE NIC. */
  readonly addressed: string;
  /** eth2: no address (no link). */
  readonly unaddressed: string;
}

/** The sample callback with the NICs of `nics` (eth0 PXE and addressed, eth1 addressed, eth2 not). */
export function threeNicCallback(nics: ThreeNics, bmc: string): Record<string, unknown> {
  const callback = sampleCallback([nics.pxe, nics.addressed], bmc);
  const inventory = callback.inventory as { interfaces: Array<Record<string, unknown>> };
  const [eth0, eth1] = inventory.interfaces as [Record<string, unknown>, Record<string, unknown>];
  eth1.ipv4_address = '192.0.2.250';
  eth1.has_carrier = true;
  inventory.interfaces = [
    eth0,
    eth1,
    { ...eth1, name: 'eth2', mac_address: nics.unaddressed, ipv4_address: null },
  ];
  return callback;
}

let macSeed = Math.floor(Math.random() * 0xfff) << 8;
/** A MAC not used by any other test of this process. */
export function freshMac(): string {
  macSeed = (macSeed + 1) % 0xfffff;
  const hex = macSeed.toString(16).padStart(5, '0');
  return `52:54:01:0${hex[0]}:${hex.slice(1, 3)}:${hex.slice(3, 5)}`;
}

export function freshNics(): ThreeNics {
  return { pxe: freshMac(), addressed: freshMac(), unaddressed: freshMac() };
}

let bmcSeed = Math.floor(Math.random() * 0xffff);
/** A BMC address (in 10.15.0.0/16) not used by any other test of this process. */
export function freshBmc(): string {
  bmcSeed = (bmcSeed + 1) % 0xffff;
  return `10.15.${bmcSeed >> 8}.${bmcSeed & 255 || 1}`;
}

/** The node's introspection status (after the queued jobs ran). */
export async function statusOf(stack: TestStack, uuid: string): Promise<Record<string, unknown>> {
  await stack.idle();
  const status = await stack.call('GET', `/v1/introspection/${uuid}`);
  expect(status.status).toBe(200);
  return status.json as Record<string, unknown>;
}

/** Start (202), wait for `waiting`, post the callback; returns the callback's answer after the jobs ran. */
export async function introspect(
  stack: TestStack,
  uuid: string,
  callback: Record<string, unknown>,
  options: { manageBoot?: boolean } = {},
): Promise<{ status: number; json: unknown }> {
  const query = options.manageBoot === false ? '?manage_boot=0' : '';
  const started = await stack.call('POST', `/v1/introspection/${uuid}${query}`);
  expect([started.status, started.json]).toEqual([202, {}]);
  expect((await statusOf(stack, uuid)).state).toBe('waiting');
  const answer = await stack.call('POST', '/v1/continue', { body: callback });
  await stack.idle();
  return { status: answer.status, json: answer.json };
}

/** The processed introspection data of a node. */
export async function processedData(stack: TestStack, uuid: string): Promise<Record<string, unknown>> {
  const data = await stack.call('GET', `/v1/introspection/${uuid}/data`);
  expect(data.status).toBe(200);
  return data.json as Record<string, unknown>;
}
