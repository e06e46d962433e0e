/**
 * What a processing hook is (upstream's `ProcessingHook` plugin): a name, and up to two steps. A hook
 * lives in `lib/processing/hooks/<name>.ts`, is registered by name in `lib/processing/pipeline.ts`, and
 * is switched on by `PROCESSING_HOOKS` (`[processing]processing_hooks`).
 *
 * @example
 * ```ts
 * export function myHook(options: { logger: Logger }): ProcessingHook {
 *   return { name: 'my_hook', beforeProcessing(data) { … }, async beforeUpdate(data, nodeInfo) { … } };
 * }
 * ```
 */
import type { ProcessingHookName } from '#lib/config.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';

/** One processing hook. */
export interface ProcessingHook {
  readonly name: ProcessingHookName;
  /**
   * Upstream `before_processing`: validate and enrich the data alone (no node yet); throw an
   * InspectorError to report a failure, which fails the callback with 400 and the node with `error`.
   */
  beforeProcessing?(data: IntrospectionDocument): void;
  /** Upstream `before_update`: update Ironic from the data, through `nodeInfo.ironic`. */
  beforeUpdate?(data: IntrospectionDocument, nodeInfo: NodeInfo): Promise<void>;
}

/** One interface as `validate_interfaces` records it in `all_interfaces`/`interfaces`. */
export interface InterfaceRecord {
  ip: string | null;
  mac: string;
  client_id: string | null;
  pxe: boolean;
}
