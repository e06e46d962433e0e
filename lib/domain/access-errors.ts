/**
 * Requests the API turns away before any work: versions, URLs, authentication, policy and the
 * ramdisk callback's source checks, with the texts the v1 API answers. Named from
 * `lib/domain/errors.ts` like every other error.
 *
 * @example
 * ```ts
 * if (!allowed.contains(sourceIp)) throw new CallbackSourceRefused(sourceIp); // 403
 * ```
 */
import { InspectorError } from '#lib/domain/inspector-error.ts';

/** A protected route without a confirmed identity (401). */
export class AuthenticationRequired extends InspectorError {
  constructor() {
    super('Authentication required', 401);
  }
}

/** A caller whose roles the route's policy rule refuses (403). */
export class AccessDenied extends InspectorError {
  constructor() {
    super('Access denied by policy', 403);
  }
}

/** The authorizer could not check the caller (Keystone down, slow or failing): 503, as keystonemiddleware. */
export class AuthenticationUnavailable extends InspectorError {
  constructor(reason: string) {
    super(`Authentication is unavailable (${reason}), please retry later`, 503);
  }
}

/** A ramdisk callback from outside `CALLBACK_ALLOWED_CIDRS`, refused before any lookup (403). */
export class CallbackSourceRefused extends InspectorError {
  constructor(source: string | undefined) {
    super(`Ramdisk callbacks are not accepted from ${source ?? 'an unknown address'}`, 403);
  }
}

/** A source address past its budget of failed lookups (429); the answer names no node. */
export class TooManyFailedLookups extends InspectorError {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed lookups from this address, retry in ${retryAfterSeconds} seconds`, 429);
  }
}

/** A version header that is not `X.Y` or `latest` (upstream 11.1.0 answers 500; here 400). */
export class MalformedApiVersion extends InspectorError {
  constructor() {
    super('Malformed API version: expected string in form of X.Y or latest', 400);
  }
}

/** A version outside the supported range (406). */
export class UnsupportedApiVersion extends InspectorError {
  constructor(requested: string, min: string, max: string) {
    super(`Unsupported API version ${requested}, supported range is ${min} to ${max}`, 406);
  }
}

/** An unknown URL, with werkzeug's text as upstream answers it (404). */
export class UrlNotFound extends InspectorError {
  constructor() {
    super(
      '404 Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
      404,
    );
  }
}

/** A known URL with another method, with werkzeug's text (405). */
export class MethodNotAllowed extends InspectorError {
  constructor() {
    super('405 Method Not Allowed: The method is not allowed for the requested URL.', 405);
  }
}

/** `GET /<version>` for a version other than v1 (404). */
export class VersionNotFound extends InspectorError {
  constructor(version: string) {
    super(`Version ${version} not found.`, 404);
  }
}
