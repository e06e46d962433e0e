/**
 * `extra_hardware`: the ramdisk's hardware-detect ("eDeploy") list in `data` — `[category, item,
 * key, value]` entries — becomes `extra.<category>.<item>.<key> = value` in the introspection data
 * (values converted with Python's `int()` when they convert), for rules (`data://extra.cpu.logical.number`)
 * and the stored processed data; `data` is then dropped. No Ironic calls.
 *
 * With `EXTRA_HARDWARE_STRICT`, every entry must have exactly four elements, and data in any other
 * shape is dropped instead of kept.
 *
 * @example
 * ```ts
 * // data: [['cpu', 'logical', 'number', '8']]  ⇒  extra: {cpu: {logical: {number: 8}}}
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { pyInt, pyTruthy } from '#lib/rules/python.ts';

const EDEPLOY_ITEM_SIZE = 4;

/** A JSON object key for a Python dict key (as json.dumps writes it); undefined if unhashable. */
function jsonKey(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (typeof key === 'number') return String(key);
  return undefined;
}

/** What `extra_hardware` reads. */
export type ExtraHardwareOptions = Pick<ProcessingConfig, 'extraHardwareStrict'> & {
  readonly logger: Logger;
};

export function extraHardware(config: ExtraHardwareOptions): ProcessingHook {
  const { logger } = config;
  const strict = config.extraHardwareStrict;
  return {
    name: 'extra_hardware',
    async beforeUpdate(data, nodeInfo) {
      const log = { node: nodeInfo.uuid };
      if (!Object.hasOwn(data, 'data')) {
        logger.warn('No extra hardware information was received from the ramdisk', log);
        return;
      }
      const raw = data.data;
      const recognised =
        Array.isArray(raw) &&
        raw.every((item) => Array.isArray(item) && (!strict || item.length === EDEPLOY_ITEM_SIZE));
      if (!recognised) {
        logger.warn(
          'Extra hardware data was not in a recognised format (eDeploy), and will not be forwarded to introspection rules',
          log,
        );
        if (strict) delete data.data;
        return;
      }
      const converted: Record<string, Record<string, Record<string, unknown>>> = {};
      for (const item of raw as unknown[][]) {
        if (!pyTruthy(item)) continue;
        // As upstream, entry by entry: a short entry leaves what it reached (an empty object).
        const category = jsonKey(item[0]);
        if (item.length < 1 || category === undefined) {
          logger.warn(`Ignoring invalid extra data item ${JSON.stringify(item)}`, log);
          continue;
        }
        const level0 = converted[category] ?? {};
        converted[category] = level0;
        const name = jsonKey(item[1]);
        if (item.length < 2 || name === undefined) {
          logger.warn(`Ignoring invalid extra data item ${JSON.stringify(item)}`, log);
          continue;
        }
        const level1 = level0[name] ?? {};
        level0[name] = level1;
        const key = jsonKey(item[2]);
        if (item.length < 4 || key === undefined) {
          logger.warn(`Ignoring invalid extra data item ${JSON.stringify(item)}`, log);
          continue;
        }
        let value = item[3];
        try {
          value = pyInt(value);
        } catch {
          // kept as it is (upstream: "100.5" stays a string)
        }
        level1[key] = value;
      }
      data.extra = converted;
      delete data.data;
    },
  };
}
