/**
 * How the domain calls Ironic, in one place: the client a component needs, a node looked up with
 * upstream's errors, and upstream's retried calls.
 *
 * @example
 * ```ts
 * const node = await ironicNode(requireIronic(deps), 'node-0'); // 404 "Node node-0 was not found in Ironic"
 * await withIronicRetries(() => ironic.addTrait(uuid, 'CUSTOM_GPU'), { delayMs: 1000 });
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InspectorError,
  IronicError,
  IronicNotConfigured,
  IronicUnavailable,
  NodeNotFoundInIronic,
} from '#lib/domain/errors.ts';
import { assertNodeIdentifier } from '#lib/domain/uuids.ts';
import type { IronicApi, IronicNode } from '#lib/ports/ironic.ts';

/** Attempts of upstream's retried Ironic calls (`call_with_retries`, `add_trait`, `delete_port`). */
export const IRONIC_ATTEMPTS = 5;

/**
 * The configured Ironic client.
 *
 * @throws IronicNotConfigured when there is none
 */
export function requireIronic(deps: { readonly ironic?: IronicApi | undefined }): IronicApi {
  if (deps.ironic === undefined) throw new IronicNotConfigured();
  return deps.ironic;
}

/**
 * A node by UUID or name, with upstream's errors.
 *
 * @throws NodeNotFoundInIronic "Node <id> was not found in Ironic" (404)
 * @throws InspectorError "Cannot get node <id>: <error>" for Ironic's 400
 * @throws InvalidNodeIdentifier (400) for what can be neither a UUID nor a name, Ironic not asked
 */
export async function ironicNode(
  ironic: IronicApi,
  nodeId: string,
  options: { fields?: readonly string[] } = {},
): Promise<IronicNode> {
  assertNodeIdentifier(nodeId);
  try {
    return await ironic.getNode(nodeId, options);
  } catch (err) {
    if (err instanceof IronicError && err.ironicStatus === 404) throw new NodeNotFoundInIronic(nodeId);
    if (err instanceof IronicError && err.ironicStatus === 400) {
      throw new InspectorError(`Cannot get node ${nodeId}: ${err.faultString}`, 400);
    }
    throw err;
  }
}

/**
 * Run an Ironic call, again after `delayMs` when Ironic fails or cannot be reached, up to
 * {@link IRONIC_ATTEMPTS} times and, when `budgetMs` is given, no longer than that.
 */
export async function withIronicRetries(
  call: () => Promise<void>,
  options: { delayMs: number; budgetMs?: number; onRetry?: (attempt: number, err: Error) => void },
): Promise<void> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (err) {
      if (
        !(err instanceof IronicError || err instanceof IronicUnavailable) ||
        attempt >= IRONIC_ATTEMPTS ||
        (options.budgetMs !== undefined && performance.now() - started > options.budgetMs)
      ) {
        throw err;
      }
      options.onRetry?.(attempt, err);
      await sleep(options.delayMs);
    }
  }
}
