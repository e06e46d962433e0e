/**
 * `import text from './file' with { type: 'text' }` everywhere the code runs: esbuild (the Lambda
 * bundles) understands it natively; this module teaches the two others, so the dashboard's files
 * are imported as strings and the api function needs no file system.
 *
 * - Node (`npm start`, `npm run demo`, through tsx): {@link registerTextImports} installs a module
 *   hook (`text-import-hook.mjs`) that answers such imports with the file's text;
 * - Vite (vitest): {@link textImportsPlugin} rewrites them to Vite's `?raw` imports.
 *
 * @example
 * ```ts
 * registerTextImports();                              // before importing functions/api.ts
 * export default defineConfig({ plugins: [textImportsPlugin()] });  // vitest.config.ts
 * ```
 */
import { register } from 'node:module';

let registered = false;

/** Install the Node module hook (once per process). */
export function registerTextImports(): void {
  if (registered) return;
  registered = true;
  register('./text-import-hook.mjs', import.meta.url);
}

const TEXT_IMPORT = /from\s+(['"])([^'"]+)\1\s+with\s*\{\s*type\s*:\s*(['"])text\3\s*\}/g;

/** The Vite plugin: `from 'x' with { type: 'text' }` becomes `from 'x?raw'`. */
export function textImportsPlugin() {
  return {
    name: 'text-imports',
    enforce: 'pre' as const,
    transform(code: string, id: string) {
      if (id.includes('/node_modules/') || !/\.[cm]?ts$/.test(id) || !code.includes('text')) return null;
      const rewritten = code.replace(TEXT_IMPORT, (_all, quote: string, source: string) => {
        return `from ${quote}${source}?raw${quote}`;
      });
      return rewritten === code ? null : { code: rewritten, map: null };
    },
  };
}
