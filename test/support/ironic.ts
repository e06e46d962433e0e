/**
 * Helpers for the suites that run against the real Ironic: a client whose requests are recorded, and
 * fresh fake-hardware nodes with unique names and MACs.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { IronicClient, type IronicClientOptions } from '#lib/adapters/ironic/client.ts';
import type { IronicNode } from '#lib/ports/ironic.ts';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** A fetch that records every request and may answer some itself (fault injection). */
export function recordingFetch(inject?: (request: RecordedRequest, index: number) => Response | undefined): {
  fetch: typeof fetch;
  requests: RecordedRequest[];
} {
  const requests: RecordedRequest[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const request = { method: init?.method ?? 'GET', url: String(input), headers };
    requests.push(request);
    const injected = inject?.(request, requests.length - 1);
    if (injected !== undefined) return injected;
    return fetch(input, init);
  };
  return { fetch: wrapped, requests };
}

/** A client on the main (noauth) Ironic. */
export function testIronic(options: Partial<IronicClientOptions> = {}): IronicClient {
  return new IronicClient({ url: inject('ironicUrl'), lockedBackoffMs: 10, ...options });
}

let macSeed = Math.floor(Math.random() * 0xffffff);
/** A MAC no other test uses. */
export function uniqueMac(): string {
  macSeed = (macSeed + 1) % 0xffffff;
  const hex = macSeed.toString(16).padStart(6, '0');
  return `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

let bmcSeed = Math.floor(Math.random() * 0xffffff);
/**
 * A BMC address no other test uses (10.0.0.0/8: about 16 million, where a shared Ironic that keeps
 * every earlier run's nodes made a few hundred collide).
 */
export function uniqueBmcAddress(): string {
  bmcSeed = (bmcSeed + 1) % 0xffffff;
  return `10.${(bmcSeed >> 16) & 0xff}.${(bmcSeed >> 8) & 0xff}.${bmcSeed & 0xff}`;
}

/** A new fake-hardware node with a unique name. */
export async function createTestNode(
  ironic: IronicClient,
  fields: Record<string, unknown> = {},
): Promise<IronicNode> {
  return ironic.createNode({ driver: 'fake-hardware', name: `test-${randomUUID().slice(0, 8)}`, ...fields });
}

/** Wait until `check` holds, polling (Ironic's conductor works in the background). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await sleep(200);
  }
}

/** Move a node through provision states, waiting for each. */
export async function provision(ironic: IronicClient, uuid: string, steps: ReadonlyArray<[string, string]>) {
  for (const [target, state] of steps) {
    await ironic.setProvisionState(uuid, target);
    await eventually(
      () => ironic.getNode(uuid, { fields: ['provision_state'] }),
      (n) => n.provision_state === state,
    );
  }
}
