/**
 * An in-memory Ironic behind the {@link IronicApi} interface, for unit tests of the code above the
 * client (handlers, processing). The client itself is tested only against the real Ironic
 * (`npm run test:ironic`). Errors mirror the real Ironic's statuses and fault strings.
 */
import { randomUUID } from 'node:crypto';
import { IronicError } from '#lib/domain/errors.ts';
import type {
  IronicApi,
  IronicNode,
  IronicPort,
  JsonPatch,
  NewPort,
  PowerTarget,
  ValidationResult,
} from '#lib/ports/ironic.ts';

export interface FakeCall {
  readonly method: string;
  readonly args: unknown[];
}

export class FakeIronic implements IronicApi {
  readonly url = 'http://fake-ironic.invalid:6385';
  readonly nodes = new Map<string, IronicNode & Record<string, unknown>>();
  readonly ports = new Map<string, IronicPort>();
  readonly calls: FakeCall[] = [];
  /** Make the next calls of a method fail (FIFO). */
  readonly failures = new Map<string, Error[]>();
  powerValidation: ValidationResult = { result: true, reason: null };

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const queued = this.failures.get(method);
    const failure = queued?.shift();
    if (failure !== undefined) throw failure;
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Add a node (manageable, fake-hardware) with ports. */
  addNode(fields: Partial<IronicNode> & Record<string, unknown> = {}, macs: string[] = []): IronicNode {
    const node = {
      uuid: randomUUID(),
      name: null,
      driver: 'fake-hardware',
      driver_info: {},
      properties: {},
      extra: {},
      provision_state: 'manageable',
      power_state: 'power off',
      maintenance: false,
      traits: [],
      ...fields,
    } as IronicNode & Record<string, unknown>;
    this.nodes.set(node.uuid, node);
    for (const mac of macs) {
      const port: IronicPort = {
        uuid: randomUUID(),
        address: mac,
        node_uuid: node.uuid,
        extra: {},
        pxe_enabled: true,
      };
      this.ports.set(port.uuid, port);
    }
    return structuredClone(node);
  }

  #node(nodeId: string): IronicNode & Record<string, unknown> {
    const node = this.nodes.get(nodeId) ?? [...this.nodes.values()].find((n) => n.name === nodeId);
    if (node === undefined) throw new IronicError(404, `Node ${nodeId} could not be found.`);
    return node;
  }

  async getNode(nodeId: string, options: { fields?: readonly string[] } = {}): Promise<IronicNode> {
    this.#record('getNode', nodeId, options);
    const node = structuredClone(this.#node(nodeId));
    if (options.fields === undefined) return node;
    const fields = new Set(['uuid', ...options.fields]);
    return Object.fromEntries(Object.entries(node).filter(([k]) => fields.has(k))) as IronicNode;
  }

  async listNodes(options: { fields?: readonly string[] } = {}): Promise<IronicNode[]> {
    this.#record('listNodes', options);
    return [...this.nodes.values()].map((n) => structuredClone(n));
  }

  async listPorts(filter: { node?: string; address?: string }): Promise<IronicPort[]> {
    this.#record('listPorts', filter);
    const nodeUuid = filter.node === undefined ? undefined : this.#node(filter.node).uuid;
    return [...this.ports.values()]
      .filter(
        (p) =>
          (nodeUuid === undefined || p.node_uuid === nodeUuid) &&
          (filter.address === undefined || p.address === filter.address),
      )
      .map((p) => structuredClone(p));
  }

  async createPort(port: NewPort): Promise<IronicPort> {
    this.#record('createPort', port);
    if (!this.nodes.has(port.nodeUuid))
      throw new IronicError(400, `Node ${port.nodeUuid} could not be found.`);
    if ([...this.ports.values()].some((p) => p.address === port.address)) {
      throw new IronicError(409, `A port with MAC address ${port.address} already exists.`);
    }
    const created: IronicPort = {
      uuid: randomUUID(),
      address: port.address,
      node_uuid: port.nodeUuid,
      extra: port.extra ?? {},
      pxe_enabled: port.pxeEnabled ?? true,
    };
    this.ports.set(created.uuid, created);
    return structuredClone(created);
  }

  async patchPort(portUuid: string, patches: readonly JsonPatch[]): Promise<IronicPort> {
    this.#record('patchPort', portUuid, patches);
    const port = this.ports.get(portUuid);
    if (port === undefined) throw new IronicError(404, `Port ${portUuid} could not be found.`);
    applyPatches(port as unknown as Record<string, unknown>, patches);
    return structuredClone(port);
  }

  async deletePort(portUuid: string): Promise<void> {
    this.#record('deletePort', portUuid);
    if (!this.ports.delete(portUuid)) throw new IronicError(404, `Port ${portUuid} could not be found.`);
  }

  async patchNode(
    nodeId: string,
    patches: readonly JsonPatch[],
    options: { resetInterfaces?: boolean } = {},
  ) {
    this.#record('patchNode', nodeId, patches, options);
    const node = this.#node(nodeId);
    applyPatches(node, patches);
    return structuredClone(node);
  }

  async addTrait(nodeId: string, trait: string): Promise<void> {
    this.#record('addTrait', nodeId, trait);
    const node = this.#node(nodeId);
    node.traits = [...new Set([...(node.traits ?? []), trait])];
  }

  async removeTrait(nodeId: string, trait: string): Promise<void> {
    this.#record('removeTrait', nodeId, trait);
    const node = this.#node(nodeId);
    if (!node.traits?.includes(trait))
      throw new IronicError(404, `Node ${nodeId} does not have trait ${trait}`);
    node.traits = node.traits.filter((t) => t !== trait);
  }

  async setBootDevice(nodeId: string, device: string, persistent: boolean): Promise<void> {
    this.#record('setBootDevice', nodeId, device, persistent);
    this.#node(nodeId).boot_device = { boot_device: device, persistent };
  }

  async setPowerState(nodeId: string, target: PowerTarget): Promise<void> {
    this.#record('setPowerState', nodeId, target);
    this.#node(nodeId).power_state = target === 'rebooting' ? 'power on' : target;
  }

  async validateNode(nodeId: string): Promise<Record<string, ValidationResult>> {
    this.#record('validateNode', nodeId);
    this.#node(nodeId);
    return { power: this.powerValidation };
  }

  async setProvisionState(nodeId: string, target: string): Promise<void> {
    this.#record('setProvisionState', nodeId, target);
    this.#node(nodeId).provision_state = target === 'manage' ? 'manageable' : target;
  }

  async createNode(fields: Record<string, unknown>): Promise<IronicNode> {
    this.#record('createNode', fields);
    if (fields.driver !== 'fake-hardware')
      throw new IronicError(
        400,
        `No valid host was found. Reason: No conductor service registered which supports driver ${String(fields.driver)}`,
      );
    return this.addNode({ ...fields, provision_state: 'enroll' } as Partial<IronicNode>);
  }
}

/** Apply Ironic-style JSON patches (add/replace/remove on `/a`, `/a/b`, `/a/b/c`, …). */
function applyPatches(target: Record<string, unknown>, patches: readonly JsonPatch[]): void {
  for (const patch of patches) {
    const segments = patch.path.replace(/^\//, '').split('/');
    const last = segments.pop() as string;
    let container = target;
    for (const segment of segments) {
      if (typeof container[segment] !== 'object' || container[segment] === null) container[segment] = {};
      container = container[segment] as Record<string, unknown>;
    }
    if (patch.op === 'remove') delete container[last];
    else container[last] = patch.value;
  }
}
