/**
 * The Lambda assets of a real synth (local esbuild, code splitting, `infra/bundling.ts`): each function
 * gets its own bundle, every chunk a bundle imports is inside the asset, the AWS SDK is the Lambda
 * runtime's (imported by name, none of it bundled), and the api asset answers a route that loads its
 * lazy chunks (the runtime, with the SDK from the project's `node_modules` standing in for the Lambda
 * runtime's) as well as `GET /`.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '#test/support/api-gateway-event.ts';
import {
  bundledPackages,
  filesUnder,
  linkProjectModules,
  runtimeSdkImports,
} from '#test/support/function-assets.ts';
import { ServerlessInspectorStack } from '../../infra/inspector-stack.ts';

/**
 * The relative module specifiers of a minified ESM file (static `from "./….mjs"` and
 * `import("./….mjs")`; the dashboard's scripts, bundled as text, import `./x.js` in strings).
 */
function relativeImports(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.mjs)["']/g)) {
    found.add(match[1] as string);
  }
  return [...found];
}

let assets: Map<string, string>; // function logical id prefix → asset directory

beforeAll(() => {
  const app = new App();
  const stack = new ServerlessInspectorStack(app, 'Inspector', {
    ironicUrl: 'https://ironic.example.com:6385',
    auth: 'http_basic',
    callbackAllowedCidrs: ['198.51.100.0/28'],
  });
  const assembly = app.synth();
  linkProjectModules(assembly.directory);
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  assets = new Map();
  for (const [id, resource] of Object.entries(functions)) {
    const key = String(resource.Properties?.Code?.S3Key ?? '');
    if (!key.endsWith('.zip') || resource.Properties?.Handler !== 'index.handler') continue;
    assets.set(id.replace(/Function[0-9A-F]+$/, ''), join(assembly.directory, `asset.${key.slice(0, -4)}`));
  }
}, 300_000);

describe('function assets', () => {
  it('each function has a bundle of its own', () => {
    expect([...assets.keys()].sort()).toEqual(
      expect.arrayContaining(['Api', 'Authorizer', 'CleanUp', 'Worker'].map((p) => expect.stringMatching(p))),
    );
    const dirs = [...assets.values()];
    expect(new Set(dirs).size).toBe(dirs.length);
    const exportsOf = (prefix: string) => {
      const dir = [...assets].find(([id]) => id.startsWith(prefix))?.[1] as string;
      return readFileSync(join(dir, 'index.mjs'), 'utf8');
    };
    expect(exportsOf('Api')).toMatch(/export\s*\{[^}]*\bas createApiHandler\b/);
    expect(exportsOf('Worker')).toMatch(/export\s*\{[^}]*\bas runBatch\b/);
    expect(exportsOf('CleanUp')).toMatch(/export\s*\{[^}]*\bas cleanUpPass\b/);
  });

  it('every chunk a bundle imports is in its asset, with a source map', () => {
    for (const dir of assets.values()) {
      const modules = filesUnder(dir).filter((f) => f.endsWith('.mjs'));
      expect(modules).toContain(join(dir, 'index.mjs'));
      for (const file of modules) {
        expect(statSync(`${file}.map`).isFile()).toBe(true);
        for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
          const target = resolve(dirname(file), specifier);
          expect(modules, `${file} imports ${specifier}`).toContain(target);
        }
      }
    }
  });

  it("the AWS SDK is the Lambda runtime's: imported by name, none of it in any asset", () => {
    const imported = new Set<string>();
    for (const dir of assets.values()) {
      const bundled = [...bundledPackages(dir)];
      expect(bundled.filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/'))).toEqual([]);
      expect(bundled).toContain('zod'); // the source maps do name the packages that are bundled
      for (const pkg of runtimeSdkImports(dir)) imported.add(pkg);
    }
    expect([...imported].sort()).toEqual(
      expect.arrayContaining([
        '@aws-sdk/client-dynamodb',
        '@aws-sdk/client-s3',
        '@aws-sdk/client-secrets-manager',
        '@aws-sdk/client-sqs',
        '@aws-sdk/lib-dynamodb',
      ]),
    );
  });

  it('the api asset loads its lazy chunks: GET / without them, a node-cache route with them', async () => {
    const dir = [...assets].find(([id]) => id.startsWith('Api'))?.[1] as string;
    expect(filesUnder(join(dir, 'chunks')).length).toBeGreaterThan(0);
    const saved = { ...process.env };
    Object.assign(process.env, { NODE_CACHE_TABLE: 'asset-check', API_AUTH_STRATEGY: 'iam' });
    try {
      const { handler } = (await import(join(dir, 'index.mjs'))) as {
        handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
      };
      const event = (path: string, query: Record<string, string> = {}) =>
        apiGatewayEvent('GET', path, { query: new URLSearchParams(query).toString() });
      const context = { awsRequestId: 'r1', functionName: 'api', getRemainingTimeInMillis: () => 29_000 };
      expect((await handler(event('/'), context)).statusCode).toBe(200);
      // The list route parses its query with the runtime's settings (API_MAX_LIMIT): it loads the
      // runtime chunks (node cache, AWS clients), then refuses the limit before any request to AWS.
      const list = await handler(event('/v1/introspection', { limit: 'x' }), context);
      expect(list.statusCode).toBe(400);
      expect(JSON.parse(list.body).error.message).toBe(
        "Bad request: invalid literal for int() with base 10: 'x'",
      );
    } finally {
      process.env = saved;
    }
  });
});
