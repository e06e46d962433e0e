/**
 * Node module hook (registered by `text-imports.ts`): an import with `{ type: 'text' }` gets the
 * file's text as its default export, as esbuild's bundles do.
 */
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (context.importAttributes?.type !== 'text') return nextLoad(url, context);
  const text = await readFile(new URL(url), 'utf8');
  return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(text)};` };
}
