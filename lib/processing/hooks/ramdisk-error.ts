/**
 * `ramdisk_error`: the error the ramdisk itself reported (`data.error`) fails the introspection at once
 * (docs/design.md#failures-while-waiting).
 *
 * @example
 * ```ts
 * ramdiskError().beforeProcessing?.({ error: 'Disk /dev/sda failed' }); // throws "Ramdisk reported error: …"
 * ```
 */
import { InspectorError } from '#lib/domain/errors.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';

export function ramdiskError(): ProcessingHook {
  return {
    name: 'ramdisk_error',
    beforeProcessing(data) {
      if (data.error) throw new InspectorError(`Ramdisk reported error: ${String(data.error)}`);
    },
  };
}
