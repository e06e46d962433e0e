/**
 * Upstream's `create_node` (the `enroll` node-not-found hook, discovery): enroll a node in Ironic and
 * cache it in `enrolling`.
 *
 * @example
 * ```ts
 * const nodeInfo = await createNode(deps, 'fake-hardware', { driver_info: { ipmi_address: bmc } });
 * ```
 */
import { IronicError, IronicUnavailable } from '#lib/domain/errors.ts';
import type { AddNodeOptions } from '#lib/node/add-node.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IronicApi, IronicNode } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** What create_node needs. */
export interface CreateNodeDeps {
  readonly ironic: IronicApi;
  readonly logger: Logger;
  readonly addNode: (uuid: string, state: 'enrolling', options: AddNodeOptions) => Promise<NodeInfo>;
}

/** Create the node in Ironic and cache it; an Ironic error is logged and gives null, as upstream. */
export async function createNode(
  deps: CreateNodeDeps,
  driver: string,
  fields: Readonly<Record<string, unknown>> = {},
): Promise<NodeInfo | null> {
  let node: IronicNode;
  try {
    node = await deps.ironic.createNode({ ...fields, driver });
  } catch (err) {
    if (!(err instanceof IronicError || err instanceof IronicUnavailable)) throw err;
    deps.logger.error(`Failed to create new node: ${err.message}`, { driver });
    return null;
  }
  deps.logger.info(`Node ${node.uuid} was created successfully`, { node: node.uuid });
  return deps.addNode(node.uuid, 'enrolling', { node });
}
