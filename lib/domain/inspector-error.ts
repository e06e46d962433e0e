/**
 * The base of every named error (`lib/domain/errors.ts`, which re-exports it): a message and the HTTP
 * status the v1 API answers with it.
 *
 * @example
 * ```ts
 * class NodeGone extends InspectorError { constructor() { super('Node is gone', 404); } }
 * ```
 */

/** Base of every inspector error. Upstream's `utils.Error`: code 400 unless a subclass says otherwise. */
export class InspectorError extends Error {
  readonly httpStatus: number;

  constructor(message: string, httpStatus = 400) {
    super(message);
    this.name = new.target.name;
    this.httpStatus = httpStatus;
  }
}
