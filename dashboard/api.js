// @ts-check
/**
 * The dashboard's client of the inspector API: the same routes and policy as any client, with the
 * operator's token (keystone) or user and password (http_basic), kept in sessionStorage: this tab
 * only, gone when it closes or on sign-out.
 */

/** @typedef {'noauth' | 'keystone' | 'http_basic' | 'iam'} AuthMode */
/** @typedef {{ kind: 'keystone', token: string } | { kind: 'http_basic', user: string, header: string }} Credentials */

const CREDENTIALS_KEY = 'serverless-inspector.credentials';
export const API_VERSION = '1.18';

/** How the API authenticates, as the api wrote it into the page. */
export const authMode = /** @type {AuthMode} */ (document.documentElement.dataset.auth ?? 'noauth');

/** The API's root (the dashboard is served at `<root>/dashboard/`). */
export const apiRoot = new URL('../', document.baseURI);

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** @returns {Credentials | undefined} */
export function credentials() {
  try {
    const raw = sessionStorage.getItem(CREDENTIALS_KEY);
    return raw === null ? undefined : /** @type {Credentials} */ (JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** @param {string} text */
function base64Utf8(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Keep credentials for this tab.
 * @param {{ token?: string, user?: string, password?: string }} given
 */
export function signIn(given) {
  /** @type {Credentials | undefined} */
  let kept;
  if (authMode === 'keystone' && given.token) kept = { kind: 'keystone', token: given.token.trim() };
  if (authMode === 'http_basic' && given.user) {
    kept = {
      kind: 'http_basic',
      user: given.user,
      header: `Basic ${base64Utf8(`${given.user}:${given.password ?? ''}`)}`,
    };
  }
  if (kept !== undefined) sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify(kept));
}

export function signOut() {
  sessionStorage.removeItem(CREDENTIALS_KEY);
}

/** Whether the page must ask for credentials before calling protected routes. */
export function needsCredentials() {
  return (authMode === 'keystone' || authMode === 'http_basic') && credentials() === undefined;
}

/** @type {(message: string) => void} */
let onAuthenticationNeeded = () => {};
/** @param {(message: string) => void} handler called when the API refuses the credentials */
export function whenAuthenticationNeeded(handler) {
  onAuthenticationNeeded = handler;
}

/** @param {Credentials | undefined} given */
function authHeaders(given) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (given?.kind === 'keystone') headers['X-Auth-Token'] = given.token;
  if (given?.kind === 'http_basic') headers.Authorization = given.header;
  return headers;
}

/**
 * One API call; JSON in and out. Errors are {@link ApiError}s with the inspector's message (or API
 * Gateway's); a 401, or API Gateway's 403, forgets the credentials and asks again.
 *
 * @param {string} path relative to the API root (`v1/introspection`)
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const given = credentials();
  /** @type {Record<string, string>} */
  const headers = {
    Accept: 'application/json',
    'X-OpenStack-Ironic-Inspector-API-Version': API_VERSION,
    ...authHeaders(given),
  };
  /** @type {RequestInit} */
  const init = { method: options.method ?? 'GET', headers, cache: 'no-store' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(new URL(path, apiRoot), init);
  } catch (err) {
    throw new ApiError(0, `The API did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await response.text();
  /** @type {any} */
  let body;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return body;
  const gateway = typeof body?.message === 'string';
  const message = body?.error?.message ?? body?.message ?? `${response.status} ${response.statusText}`;
  // 401: no or bad credentials (the api or API Gateway); a 403 from API Gateway is its authorizer
  // refusing them. The api's 403 ("Access denied by policy") keeps them: the role is the problem.
  if (response.status === 401 || (response.status === 403 && gateway)) {
    if (authMode === 'keystone' || authMode === 'http_basic') {
      signOut();
      onAuthenticationNeeded(message);
    }
  }
  throw new ApiError(response.status, message);
}
