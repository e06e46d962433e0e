/**
 * JSON patches held in memory: applying one to a node already fetched, and reducing gathered patches
 * to the ones that change something (the one PATCH of {@link NodeIronic.batch}).
 *
 * @example
 * ```ts
 * changedPatches(node, [{ op: 'add', path: '/properties/cpus', value: 4 }]); // [] when already 4
 * ```
 */
import { isDeepStrictEqual } from 'node:util';
import type { IronicNode, JsonPatch } from '#lib/ports/ironic.ts';

/** The segments of a JSON pointer (`~1` is `/`, `~0` is `~`). */
function pointer(path: string): string[] {
  return path
    .replace(/^\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Apply one add/replace/remove patch to a node held in memory (objects created on the way). */
export function applyPatch(target: Record<string, unknown>, patch: JsonPatch): void {
  const parts = pointer(patch.path);
  const last = parts.pop() as string;
  let container = target;
  for (const part of parts) {
    const next = container[part];
    if (typeof next !== 'object' || next === null) container[part] = {};
    container = container[part] as Record<string, unknown>;
  }
  if (patch.op === 'remove') delete container[last];
  else container[last] = structuredClone(patch.value);
}

/** The value at a JSON pointer of a node, or undefined. */
function valueAt(node: IronicNode, path: string): unknown {
  let value: unknown = node;
  for (const part of pointer(path)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The gathered patches as one PATCH: the last patch of each path, in order, without those that would
 * leave `base` as it is.
 */
export function changedPatches(base: IronicNode, patches: readonly JsonPatch[]): JsonPatch[] {
  const last = new Map<string, JsonPatch>();
  for (const p of patches) {
    last.delete(p.path);
    last.set(p.path, p);
  }
  return [...last.values()].filter((p) =>
    p.op === 'remove'
      ? valueAt(base, p.path) !== undefined
      : !isDeepStrictEqual(valueAt(base, p.path), p.value),
  );
}
