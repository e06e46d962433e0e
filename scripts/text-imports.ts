/**
 * `import text from './file' with { type: 'text' }` everywhere the code runs: esbuild (the Lambda
 * bundles) understands it natively; this module teaches the two others, so the dashboard's files
 * are imported as strings and the api function needs no file system.
 *
 * - Node (`npm start`, `npm run demo`, through tsx): {@link registerTextImports} installs a module
 *   hook (`text-import-hook.mjs`) that answers such imports with the file's text;
 * - Vite (vitest): {@link textImportsPlugin} turns them into virtual modules holding the text.
 *
 * @example
 * ```ts
 * registerTextImports();                              // before importing functions/api.ts
 * export default defineConfig({ plugins: [textImportsPlugin()] });  // vitest.config.ts
 * ```
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, resolve } from 'node:path';

let registered = false;

/** Install the Node module hook (once per process). */
export function registerTextImports(): void {
  if (registered) return;
  registered = true;
  register('./text-import-hook.mjs', import.meta.url);
}

const TEXT_IMPORT = /from\s+(['"])([^'"]+)\1\s+with\s*\{\s*type\s*:\s*(['"])text\3\s*\}/g;
const VIRTUAL = 'virtual:text-import/';

/**
 * The Vite plugin: `from './x.css' with { type: 'text' }` (relative paths) becomes a virtual module
 * whose default export is the file's text. Not Vite's `?raw`: vitest empties anything that looks
 * like CSS unless CSS processing is on.
 */
export function textImportsPlugin() {
  return {
    name: 'text-imports',
    enforce: 'pre' as const,
    transform(code: string, id: string) {
      if (id.includes('/node_modules/') || !/\.[cm]?ts$/.test(id) || !code.includes('text')) return null;
      const rewritten = code.replace(TEXT_IMPORT, (_all, quote: string, source: string) => {
        const file = resolve(dirname(id), source);
        return `from ${quote}${VIRTUAL}${Buffer.from(file).toString('base64url')}${quote}`;
      });
      return rewritten === code ? null : { code: rewritten, map: null };
    },
    resolveId(source: string) {
      return source.startsWith(VIRTUAL) ? `\0${source}` : null;
    },
    load(id: string) {
      if (!id.startsWith(`\0${VIRTUAL}`)) return null;
      const file = Buffer.from(id.slice(VIRTUAL.length + 1), 'base64url').toString('utf8');
      return `export default ${JSON.stringify(readFileSync(file, 'utf8'))};`;
    },
  };
}
