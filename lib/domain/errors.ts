/**
 * The inspector's named errors: one class per failure an operator or client can observe, each with the
 * HTTP status the v1 API answers and upstream ironic-inspector's message text.
 *
 * The base class is in `inspector-error.ts`, the request errors (versions, URLs, authentication,
 * policy, callback sources) in `access-errors.ts` and the introspection rules' errors in `rule-errors.ts`; all are
 * exported from here, the one module the code names errors from.
 *
 * The API maps any {@link InspectorError} to `{"error": {"message": error.message}}` with
 * `error.httpStatus`; anything else is a 500 "Internal server error".
 *
 * @example `if (err instanceof InspectorError) return errorResponse(err.httpStatus, err.message);`
 */
import { InspectorError } from '#lib/domain/inspector-error.ts';
import { pyList, pyType } from '#lib/domain/python-repr.ts';

// The access errors and the introspection rules' errors live beside this module (size), and are named
// from it like every other.
export * from '#lib/domain/access-errors.ts';
export * from '#lib/domain/rule-errors.ts';
export { InspectorError };

/** Upstream `NotFoundInCacheError` (404): a node, or a node for some lookup attributes, is not cached. */
export class NotFoundInCacheError extends InspectorError {
  constructor(message: string) {
    super(message, 404);
  }

  /** `get_node` of an uncached UUID. */
  static forNode(uuid: string): NotFoundInCacheError {
    return new NotFoundInCacheError(`Could not find node ${uuid} in cache`);
  }

  /** `find_node` with attributes no cached node holds (`attributes` is the Python repr of the input). */
  static forAttributes(attributesRepr: string): NotFoundInCacheError {
    return new NotFoundInCacheError(`Could not find a node for attributes ${attributesRepr}`);
  }

  /** `version_id` of a node whose record is gone. */
  static noRecord(): NotFoundInCacheError {
    return new NotFoundInCacheError('Node not found in the cache');
  }
}

/** Upstream `NodeNotFoundInDBError` (404): the node record a NodeInfo or a list marker refers to is gone. */
export class NodeNotFoundInDBError extends InspectorError {
  constructor() {
    super('The requested node was not found.', 404);
  }
}

/**
 * Upstream `NodeStateRaceCondition`: the node record changed (or vanished) since this NodeInfo read it.
 * Answered as 409 here (upstream: 500): the client may retry (docs/design.md#optimistic-versions).
 */
export class NodeStateRaceCondition extends InspectorError {
  constructor() {
    super('Node state mismatch detected between the DB and the cached node_info object', 409);
  }
}

/** Upstream `NodeStateInvalidEvent` (400), carrying automaton's "no defined transition" text. */
export class NodeStateInvalidEvent extends InspectorError {
  constructor(message: string) {
    super(message, 400);
  }
}

/**
 * automaton's `NotFound` for a state outside the machine. Upstream lets it escape `fsm_event` as a raw
 * exception (so the API answers 500); it is not an {@link InspectorError} for that reason.
 */
export class UndefinedStateError extends Error {
  constructor(state: string) {
    super(`Can not start from a undefined state '${state}'`);
    this.name = 'UndefinedStateError';
  }
}

/** A blocking lock acquisition gave up after the configured wait (docs/design.md#leases). */
export class NodeLockedError extends InspectorError {
  constructor(message = 'Node is locked, please, retry later') {
    super(message, 409);
  }
}

/** `find_node`: several nodes share the top score (upstream code 404). */
export class MultipleNodesMatchError extends InspectorError {
  constructor(attributesRepr: string, uuids: readonly string[]) {
    super(`Multiple nodes match the same number of attributes ${attributesRepr}: ${pyList(uuids)}`, 404);
  }
}

/** `find_node`: the attributes matched a node whose record is gone (404). */
export class NodeNotOnIntrospectionError extends InspectorError {
  constructor(uuid: string) {
    super(`Could not find node ${uuid} in introspection cache, probably it's not on introspection now`, 404);
  }
}

/** `find_node`: the attributes matched a node whose introspection already finished (400). */
export class IntrospectionAlreadyFinishedError extends InspectorError {
  constructor(uuid: string, finishedAt: string) {
    super(`Introspection for node ${uuid} already finished on ${finishedAt}`, 400);
  }
}

/** The node's provision state does not allow introspection (upstream's text, 400). */
export class InvalidProvisionState extends InspectorError {
  constructor(state: string, valid: readonly string[]) {
    super(`Invalid provision state for introspection: "${state}", valid states are "${pyList(valid)}"`);
  }
}

/** Upstream `IntrospectionDataNotFound` (404). */
export class IntrospectionDataNotFound extends InspectorError {
  constructor(uuid: string, processed: boolean) {
    super(`Introspection data not found for node ${uuid}, processed=${processed ? 'True' : 'False'}`, 404);
  }
}

/** Introspection data storage is switched off (`store_data = none`), as upstream's API answers it. */
export class IntrospectionDataStoreDisabled extends InspectorError {
  constructor() {
    super(
      'Inspector is not configured to store data. Set the [processing]store_data configuration option to change this.',
      404,
    );
  }
}

/** Reapply without a body where no data is stored to reapply (400). */
export class ReapplyNeedsStoredData extends InspectorError {
  constructor() {
    super(
      'Inspector is not configured to store introspection data. Set the [processing]store_data configuration option to change this.',
    );
  }
}

/** The power interface failed Ironic's validation before a managed-boot start (400). */
export class PowerValidationFailed extends InspectorError {
  constructor(reason: string) {
    super(`Failed validation of power interface: ${reason}`);
  }
}

/** The ramdisk callback's pre-processing or lookup failures, all of them (400). */
export class PreprocessingFailed extends InspectorError {
  constructor(failures: readonly string[]) {
    super(`The following failures happened during running pre-processing hooks:\n${failures.join('\n')}`);
  }
}

/** A failure under processing that is not the caller's (Ironic's, or a bug): upstream's 500. */
export class UnexpectedProcessingError extends InspectorError {
  /** The class of what failed (`IronicError`, …), without its text. */
  readonly causeName: string;

  constructor(cause: Error) {
    super(`Unexpected exception ${cause.name} during processing: ${cause.message}`, 500);
    this.causeName = cause.name;
  }
}

/** Introspection data that is not a JSON object (upstream wording of the API's body check). */
export class InvalidIntrospectionData extends InspectorError {
  constructor(got: string) {
    super(`Invalid data: expected a JSON object, got ${got}`, 400);
  }

  /** @throws InvalidIntrospectionData naming the Python type of `value` when it is not an object */
  static assertObject(value: unknown): asserts value is Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidIntrospectionData(pyType(value));
    }
  }
}

/**
 * A lookup attribute DynamoDB cannot index (empty, or longer than an index key may be). Upstream's
 * SQL table would take it; here it is refused before anything is written.
 */
export class InvalidLookupAttribute extends InspectorError {
  constructor(name: string, reason: string) {
    super(`Invalid lookup attribute ${name}: ${reason}`, 400);
  }
}

/** A node name was given where only a UUID can be resolved (no Ironic client configured). */
export class NodeNameNotResolvable extends InspectorError {
  constructor(name: string) {
    super(`Cannot get node ${name}: node names need the Ironic client, and none is configured`, 400);
  }
}

// ---- limits on what callers send (docs/design.md#input-limits) ----------------------------------

/** A JSON body nested deeper than the API reads (400), refused before it is parsed. */
export class JsonTooDeep extends InspectorError {
  constructor(maxDepth: number) {
    super(`Invalid data: JSON nested deeper than ${maxDepth} levels`, 400);
  }
}

/** Neither a UUID nor a name Ironic accepts: Ironic's own 400 text (Ironic 21), without asking it. */
export class InvalidNodeIdentifier extends InspectorError {
  constructor(nodeId: string) {
    super(`Cannot get node ${nodeId}: Expected UUID or name for node: ${nodeId}`, 400);
  }
}

/** Data whose processed form `GET …/data` could not answer: refused before anything is stored (413). */
export class ProcessedDataTooLarge extends InspectorError {
  constructor(bytes: number, maxBytes: number) {
    super(
      `Processed data of ${bytes} bytes would be larger than the API can answer (${maxBytes} bytes)`,
      413,
    );
  }
}

/** An Ironic failure told to an unauthenticated caller (the ramdisk): generic; the detail is logged. */
export class IronicFailureHidden extends InspectorError {}

// ---- the v1 API's own answers -------------------------------------------------------------------

/** A request or response body larger than API Gateway and Lambda carry: refused, never truncated (413). */
export class BodyTooLarge extends InspectorError {
  constructor(which: 'Request' | 'Response', bytes: number, maxBytes: number) {
    super(`${which} body of ${bytes} bytes is larger than the API can carry (${maxBytes} bytes)`, 413);
  }
}

/** A query parameter upstream refuses, with its message (400). */
export class InvalidQuery extends InspectorError {}

/** Managed boot requested where `can_manage_boot` is off (upstream's text, typo included). */
export class ManagedBootUnavailable extends InspectorError {
  constructor() {
    super(
      'Managed boot is requested, but this installation cannot manage boot ((can_manage_boot set to False)',
      400,
    );
  }
}

/** A setting failed validation at start; the message names the setting. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Ironic answered with an error; carries Ironic's status and fault string. */
export class IronicError extends InspectorError {
  readonly ironicStatus: number;
  readonly faultString: string;

  constructor(ironicStatus: number, faultString: string, message?: string) {
    // Ironic's 4xx are reported as the client's problem (400), its 5xx as ours (500), as upstream's
    // handlers end up answering.
    super(message ?? faultString, ironicStatus >= 500 ? 500 : 400);
    this.ironicStatus = ironicStatus;
    this.faultString = faultString;
  }

  /** Ironic refused because another operation holds the node's lock (409, safe to retry). */
  get nodeLocked(): boolean {
    return this.ironicStatus === 409 && /is locked by host|node is locked/i.test(this.faultString);
  }
}

/** Ironic could not be reached (connection refused, DNS, timeout); the message names the URL. */
export class IronicUnavailable extends InspectorError {
  constructor(url: string, reason: string) {
    super(`Ironic is not reachable at ${url}: ${reason}`, 503);
  }
}

/** Upstream `NotFound` for a node Ironic does not know (404). */
export class NodeNotFoundInIronic extends InspectorError {
  constructor(nodeId: string) {
    super(`Node ${nodeId} was not found in Ironic`, 404);
  }
}

/** Authentication to Ironic failed (bad credentials, Keystone refused). */
export class IronicAuthError extends InspectorError {
  constructor(message: string) {
    super(message, 500);
  }
}

/** `get_by_path`/`replace_field`: the node has no such field or key (upstream: KeyError). */
export class NodeFieldNotFound extends InspectorError {
  readonly path: string;

  constructor(path: string) {
    super(`Field ${path} was not found on the node`, 400);
    this.path = path;
  }
}

/** A port given by MAC that the node does not have (upstream: KeyError). */
export class PortNotFound extends InspectorError {
  constructor(mac: string, uuid: string) {
    super(`Port ${mac} was not found on node ${uuid}`, 404);
  }
}

/** Something needs Ironic and no Ironic client is configured. */
export class IronicNotConfigured extends InspectorError {
  constructor() {
    super('No Ironic client is configured', 500);
  }
}
