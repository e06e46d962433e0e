/**
 * Who may call: the errors of authentication, policy and the ramdisk callback's source checks, with
 * the texts the v1 API answers. Named from `lib/domain/errors.ts` like every other error.
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
