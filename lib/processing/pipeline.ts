/**
 * The processing pipeline (upstream's `_run_pre_hooks` and the update part of `_process_node`): the
 * inventory check, then every enabled hook's `beforeProcessing` on the data; later, once the node is
 * found and locked, every hook's `beforeUpdate` on the data and the node. The ramdisk callback and
 * reapply run the same pipeline.
 *
 * To add a hook: write `lib/processing/hooks/<name>.ts` returning a {@link ProcessingHook}, add its
 * name to `PROCESSING_HOOK_NAMES` in `lib/config.ts` (or `OPTIONAL_HOOKS` in `hooks/settings.ts`) and its factory to {@link HOOK_FACTORIES} below
 * (the compiler insists on both).
 *
 * @example
 * ```ts
 * const pipeline = new ProcessingPipeline({ ...config.processing, logger });
 * const failures = pipeline.preprocess(data);     // [] when every hook accepted the data
 * await pipeline.updateNode(nodeInfo, data);       // ports, properties, capabilities in Ironic
 * ```
 */
import type { ProcessingConfig, ProcessingHookName } from '#lib/config.ts';
import { InspectorError } from '#lib/domain/errors.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { accelerators } from '#lib/processing/hooks/accelerators.ts';
import { capabilities } from '#lib/processing/hooks/capabilities.ts';
import { extraHardware } from '#lib/processing/hooks/extra-hardware.ts';
import { lldpBasic } from '#lib/processing/hooks/lldp-basic.ts';
import { localLinkConnection } from '#lib/processing/hooks/local-link-connection.ts';
import { pciDevices } from '#lib/processing/hooks/pci-devices.ts';
import { physnetCidrMap } from '#lib/processing/hooks/physnet-cidr-map.ts';
import { raidDevice } from '#lib/processing/hooks/raid-device.ts';
import { ramdiskError } from '#lib/processing/hooks/ramdisk-error.ts';
import { rootDiskSelection } from '#lib/processing/hooks/root-disk-selection.ts';
import { scheduler } from '#lib/processing/hooks/scheduler.ts';
import { validateInterfaces } from '#lib/processing/hooks/validate-interfaces.ts';
import { inventoryProblems } from '#lib/processing/inventory.ts';

/** What the pipeline and its hooks read: the processing settings and a logger. */
export type ProcessingOptions = ProcessingConfig & { readonly logger: Logger };

/** Every hook by name: the table `PROCESSING_HOOKS` chooses from. */
export const HOOK_FACTORIES: {
  readonly [name in ProcessingHookName]: (options: ProcessingOptions) => ProcessingHook;
} = {
  ramdisk_error: ramdiskError,
  validate_interfaces: validateInterfaces,
  root_disk_selection: rootDiskSelection,
  scheduler,
  capabilities,
  pci_devices: pciDevices,
  // The optional hooks (upstream's other in-tree plugins), off unless named in PROCESSING_HOOKS.
  extra_hardware: extraHardware,
  lldp_basic: lldpBasic,
  local_link_connection: localLinkConnection,
  physnet_cidr_map: physnetCidrMap,
  raid_device: raidDevice,
  accelerators,
};

/** The enabled hooks, in the configured order. */
export class ProcessingPipeline {
  readonly hooks: readonly ProcessingHook[];

  constructor(options: ProcessingOptions) {
    this.hooks = options.hooks.map((name) => HOOK_FACTORIES[name](options));
  }

  /**
   * The inventory check (skipped when the ramdisk reported its own error), then every hook's
   * pre-processing. Returns the failures, never throws.
   */
  preprocess(data: IntrospectionDocument): string[] {
    const failures: string[] = data.error ? [] : inventoryProblems(data);
    for (const hook of this.hooks) {
      if (hook.beforeProcessing === undefined) continue;
      try {
        hook.beforeProcessing(data);
      } catch (err) {
        failures.push(
          err instanceof InspectorError
            ? `Preprocessing hook ${hook.name}: ${err.message}`
            : `Unexpected exception ${(err as Error).name} during preprocessing in hook ${hook.name}: ${(err as Error).message}`,
        );
      }
    }
    return failures;
  }

  /**
   * Every hook's update of the node in Ironic, in order; the first failure stops it. The node's
   * patches go to Ironic as one PATCH once every hook has run (docs/design.md#one-patch), so a
   * failure leaves the node's properties as they were.
   */
  async updateNode(nodeInfo: NodeInfo, data: IntrospectionDocument): Promise<void> {
    await nodeInfo.ironic.batch(async () => {
      for (const hook of this.hooks) await hook.beforeUpdate?.(data, nodeInfo);
    });
  }
}
