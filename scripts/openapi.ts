/**
 * `npm run openapi`: writes the OpenAPI document generated from the route descriptions to
 * `docs/openapi.json`, formatted as Biome formats JSON (so `npm run check` stays clean). A test
 * fails when the committed file differs from what this writes.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openApiDocument } from '#lib/http/openapi.ts';

const root = resolve(import.meta.dirname, '..');
const target = resolve(root, 'docs/openapi.json');
writeFileSync(target, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
execFileSync(resolve(root, 'node_modules/.bin/biome'), ['format', '--write', target], { stdio: 'ignore' });
console.error(`wrote ${target}`);
