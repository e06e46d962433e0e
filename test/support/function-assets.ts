/**
 * Reading the Lambda assets of a synth: which packages a bundle carries (from its source maps), and
 * what it leaves to the Lambda runtime (bare `@aws-sdk/…` imports). Also lets a test import an asset
 * whose AWS SDK is the runtime's: in Lambda the runtime provides `@aws-sdk/*`; here the project's
 * `node_modules`, linked next to the asset, stands in for it.
 *
 * @example
 * ```ts
 * linkProjectModules(assembly.directory); // `import('…/asset.x/index.mjs')` now finds @aws-sdk/*
 * bundledPackages(assetDir).has('@aws-sdk/client-dynamodb'); // false by default
 * ```
 */
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/bundling.ts';

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Link the project's `node_modules` into `dir` (once), so modules under it resolve packages. */
export function linkProjectModules(dir: string): void {
  const link = join(dir, 'node_modules');
  if (!existsSync(link)) symlinkSync(join(PROJECT_ROOT, 'node_modules'), link, 'dir');
}

/** The npm packages whose code is inside the asset `dir`, from the sources its source maps name. */
export function bundledPackages(dir: string): Set<string> {
  const packages = new Set<string>();
  for (const map of filesUnder(dir).filter((f) => f.endsWith('.mjs.map'))) {
    for (const source of (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
      if (pkg !== undefined) packages.add(pkg);
    }
  }
  return packages;
}

/** The `@aws-sdk/…` packages the asset `dir` imports by name (left to the Lambda runtime). */
export function runtimeSdkImports(dir: string): Set<string> {
  const imported = new Set<string>();
  for (const file of filesUnder(dir).filter((f) => f.endsWith('.mjs'))) {
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(/(?:from|import)\s*\(?\s*["'](@aws-sdk\/[^"']+)["']/g)) {
      imported.add(match[1] as string);
    }
  }
  return imported;
}
