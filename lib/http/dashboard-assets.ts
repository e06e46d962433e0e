/**
 * The dashboard's static files (`dashboard/`), imported as text so that the api function's bundle
 * carries them and needs no file system (esbuild's `with { type: 'text' }`; tsx and vitest through
 * `scripts/text-imports.ts`). Each has its content type and a strong ETag.
 *
 * @example
 * ```ts
 * dashboardFile('app.js'); // { body: '// @ts-check…', contentType: 'text/javascript; charset=utf-8', etag: '"…"' }
 * dashboardFile('../x');   // undefined
 * ```
 */
import { createHash } from 'node:crypto';
import api from '../../dashboard/api.js' with { type: 'text' };
import app from '../../dashboard/app.js' with { type: 'text' };
import chart from '../../dashboard/chart.js' with { type: 'text' };
import format from '../../dashboard/format.js' with { type: 'text' };
import hardware from '../../dashboard/hardware.js' with { type: 'text' };
import index from '../../dashboard/index.html' with { type: 'text' };
import list from '../../dashboard/list.js' with { type: 'text' };
import node from '../../dashboard/node.js' with { type: 'text' };
import rules from '../../dashboard/rules.js' with { type: 'text' };
import shared from '../../dashboard/shared.js' with { type: 'text' };
import style from '../../dashboard/style.css' with { type: 'text' };

export interface DashboardFile {
  readonly body: string;
  readonly contentType: string;
  readonly etag: string;
}

const JS = 'text/javascript; charset=utf-8';

/** Every file the dashboard serves, by the name in its URL (`index.html` is `/dashboard` itself). */
const FILES: Readonly<Record<string, { readonly body: string; readonly contentType: string }>> = {
  'index.html': { body: index, contentType: 'text/html; charset=utf-8' },
  'style.css': { body: style, contentType: 'text/css; charset=utf-8' },
  'api.js': { body: api, contentType: JS },
  'app.js': { body: app, contentType: JS },
  'chart.js': { body: chart, contentType: JS },
  'format.js': { body: format, contentType: JS },
  'hardware.js': { body: hardware, contentType: JS },
  'list.js': { body: list, contentType: JS },
  'node.js': { body: node, contentType: JS },
  'rules.js': { body: rules, contentType: JS },
  'shared.js': { body: shared, contentType: JS },
};

/** The names of the dashboard's files. */
export const DASHBOARD_FILES: readonly string[] = Object.keys(FILES);

/** A strong ETag for a body. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

const cache = new Map<string, DashboardFile>();

/** One of the dashboard's files, or undefined for any other name. */
export function dashboardFile(name: string): DashboardFile | undefined {
  if (!Object.hasOwn(FILES, name)) return undefined;
  let file = cache.get(name);
  if (file === undefined) {
    const { body, contentType } = FILES[name] as { body: string; contentType: string };
    file = { body, contentType, etag: etagOf(body) };
    cache.set(name, file);
  }
  return file;
}
