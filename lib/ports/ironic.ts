/**
 * What the node cache and processing need from Ironic: the interface the domain is written against,
 * and the shapes of Ironic's nodes and ports (validated with zod where they enter).
 *
 * {@link IronicClient} (`lib/adapters/ironic/client.ts`) implements it over Ironic's REST API; unit tests of
 * code above it may use an in-memory double.
 *
 * @example
 * ```ts
 * const node = await ironic.getNode('node-0');
 * await ironic.patchNode(node.uuid, [{ op: 'add', path: '/properties/cpus', value: '4' }]);
 * ```
 */
import { z } from 'zod';

const dict = z.record(z.string(), z.unknown());

/** An Ironic node (fields the inspector reads; everything else is kept as Ironic sent it). */
export const ironicNodeSchema = z.looseObject({
  uuid: z.string(),
  name: z.string().nullable().optional(),
  driver: z.string().optional(),
  driver_info: dict.optional(),
  properties: dict.optional(),
  extra: dict.optional(),
  provision_state: z.string().nullable().optional(),
  power_state: z.string().nullable().optional(),
  maintenance: z.boolean().optional(),
  traits: z.array(z.string()).optional(),
});
export type IronicNode = z.infer<typeof ironicNodeSchema>;

/** An Ironic port. */
export const ironicPortSchema = z.looseObject({
  uuid: z.string(),
  address: z.string(),
  node_uuid: z.string().nullable().optional(),
  extra: dict.optional(),
  pxe_enabled: z.boolean().optional(),
});
export type IronicPort = z.infer<typeof ironicPortSchema>;

/** One JSON patch operation, as Ironic takes them. */
export interface JsonPatch {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** A port to create. */
export interface NewPort {
  readonly nodeUuid: string;
  readonly address: string;
  readonly extra?: Record<string, unknown>;
  readonly pxeEnabled?: boolean;
}

/** One interface's result in a node validation. */
export interface ValidationResult {
  readonly result: boolean | null;
  readonly reason: string | null;
}

/** Power state targets the inspector uses. */
export type PowerTarget = 'rebooting' | 'power off' | 'power on';

/** Ironic, as the inspector uses it. Errors are IronicError / IronicUnavailable (`lib/errors.ts`). */
export interface IronicApi {
  /** The base URL, for messages. */
  readonly url: string;
  /** A node by UUID or name; `fields` restricts what Ironic returns. */
  getNode(nodeId: string, options?: { fields?: readonly string[] }): Promise<IronicNode>;
  /** Every node, following `next` links (`pageSize`: Ironic's `limit` per page). */
  listNodes(options?: { fields?: readonly string[]; pageSize?: number }): Promise<IronicNode[]>;
  /** Ports of a node, with an address, or all, following `next` links; `fields` restricts them. */
  listPorts(filter: {
    node?: string;
    address?: string;
    pageSize?: number;
    fields?: readonly string[];
  }): Promise<IronicPort[]>;
  createPort(port: NewPort): Promise<IronicPort>;
  patchPort(portUuid: string, patches: readonly JsonPatch[]): Promise<IronicPort>;
  deletePort(portUuid: string): Promise<void>;
  patchNode(
    nodeId: string,
    patches: readonly JsonPatch[],
    options?: { resetInterfaces?: boolean },
  ): Promise<IronicNode>;
  addTrait(nodeId: string, trait: string): Promise<void>;
  removeTrait(nodeId: string, trait: string): Promise<void>;
  setBootDevice(nodeId: string, device: string, persistent: boolean): Promise<void>;
  setPowerState(nodeId: string, target: PowerTarget): Promise<void>;
  validateNode(nodeId: string): Promise<Record<string, ValidationResult>>;
  /** Move the node's provision state (`manage`, `provide`, `active`, `inspect`, …). */
  setProvisionState(nodeId: string, target: string): Promise<void>;
  createNode(fields: Record<string, unknown>): Promise<IronicNode>;
}
