/**
 * How every Lambda function is bundled, in one place: the CDK stack (`infra/inspector-function.ts`)
 * and `npm run bench:cold-start` both call {@link bundleFunction}, so the benchmark measures exactly
 * what is deployed.
 *
 * One ESM bundle per handler, built by the local esbuild (no Docker), with code splitting: the entry
 * file holds what every invocation needs, and what only some routes need (the AWS SDK clients, the
 * node cache, processing, bcrypt…) lives in chunks under `chunks/` that the code loads with a
 * dynamic `import()` when a route first needs it. Source maps without the sources' text: stack
 * traces still name file and line, and the maps stay small for `--enable-source-maps`.
 *
 * The AWS SDK (`@aws-sdk/*`) is by default left out of the bundle: the functions import the v3 SDK
 * the Lambda Node.js runtime ships, which keeps every bundle under 300 KB and its cold import short.
 * With `bundleAwsSdk` the SDK versions pinned in `package.json` (the ones the tests ran with) are
 * bundled instead (docs/performance.md, "Lambda bundles and cold starts").
 *
 * @example
 * ```ts
 * const { metafile } = bundleFunction('functions/api.ts', '/tmp/api'); // /tmp/api/index.mjs + chunks/
 * bundleFunction('functions/api.ts', '/tmp/api-pinned', { bundleAwsSdk: true }); // SDK inside
 * ```
 */
import { resolve } from 'node:path';
import type { ILocalBundling } from 'aws-cdk-lib';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';

/** The project root. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** The Lambda runtime the bundles target (`Runtime.NODEJS_24_X` in the stack). */
export const BUNDLE_TARGET = 'node24';

/** The esbuild options of every function bundle (entry point and output folder aside). */
export const FUNCTION_BUNDLE_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: BUNDLE_TARGET,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  splitting: true,
  // The handler is `index.handler`; chunks are loaded relative to it.
  entryNames: 'index',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: true,
};

/** The packages a bundle leaves to the Lambda runtime unless it bundles the AWS SDK. */
export const RUNTIME_AWS_SDK_PACKAGES: readonly string[] = ['@aws-sdk/*'];

/** How one function is bundled, besides {@link FUNCTION_BUNDLE_OPTIONS}. */
export interface FunctionBundling {
  /**
   * Bundle the AWS SDK versions pinned in `package.json` instead of importing the Lambda runtime's.
   * @default false
   */
  readonly bundleAwsSdk?: boolean;
}

/** Bundle the handler `entry` (relative to the project root) into `outdir`; returns esbuild's metafile. */
export function bundleFunction(
  entry: string,
  outdir: string,
  options: FunctionBundling = {},
): { metafile: Metafile } {
  const result = buildSync({
    ...FUNCTION_BUNDLE_OPTIONS,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [resolve(PROJECT_ROOT, entry)],
    outdir,
    external: options.bundleAwsSdk === true ? [] : [...RUNTIME_AWS_SDK_PACKAGES],
  });
  if (result.metafile === undefined) throw new Error(`esbuild returned no metafile for ${entry}`);
  return { metafile: result.metafile };
}

/**
 * The CDK's local bundling of one handler. `entry` and `bundleAwsSdk` are fields so that they are
 * part of the asset's bundling cache key: the CDK reuses a bundle for equal bundling options within
 * one synth.
 */
export class LocalFunctionBundling implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly bundleAwsSdk = false,
  ) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(this.entry, outputDir, { bundleAwsSdk: this.bundleAwsSdk });
    return true;
  }
}
