/**
 * The introspection rules' named errors, with upstream's messages: refused rule bodies, duplicate and
 * unknown UUIDs, and what ends an introspection while rules are applied. Named from
 * `lib/domain/errors.ts` like every other error.
 *
 * @example
 * ```ts
 * throw InvalidRule.operator('eq', "missing required parameter 'value'"); // 400
 * ```
 */
import { InspectorError } from '#lib/domain/inspector-error.ts';

/** A rule body refused at `POST /v1/rules` (400), with upstream's message for each check. */
export class InvalidRule extends InspectorError {
  constructor(message: string, httpStatus = 400) {
    super(message, httpStatus);
  }

  static uuid(): InvalidRule {
    return new InvalidRule('Invalid UUID value');
  }

  static scopeTooLong(): InvalidRule {
    return new InvalidRule('Invalid scope: the length of the scope should be within 255 characters');
  }

  /** A scope that is not a string (upstream: 500). */
  static scopeType(): InvalidRule {
    return new InvalidRule('Invalid scope: the scope should be a string');
  }

  /** A description that is not a string (upstream: 500 for what its database cannot store). */
  static descriptionType(): InvalidRule {
    return new InvalidRule('Invalid description: the description should be a string');
  }

  static conditions(detail: string): InvalidRule {
    return new InvalidRule(`Validation failed for conditions: ${detail}`);
  }

  static actions(detail: string): InvalidRule {
    return new InvalidRule(`Validation failed for actions: ${detail}`);
  }

  static scheme(scheme: string): InvalidRule {
    return new InvalidRule(`Unsupported scheme for field: ${scheme}, valid values are node:// or data://`);
  }

  static fieldPath(field: string, error: string): InvalidRule {
    return new InvalidRule(`Unable to parse field JSON path ${field}: ${error}`);
  }

  static operator(op: string, detail: string): InvalidRule {
    return new InvalidRule(`Invalid parameters for operator ${op}: ${detail}`);
  }

  static action(action: string, detail: string): InvalidRule {
    return new InvalidRule(`Invalid parameters for action ${action}: ${detail}`);
  }
}

/** A rule too large for one storage item (DynamoDB's 400 KB), refused with 413 rather than a 500. */
export class RuleTooLarge extends InspectorError {
  constructor(bytes: number, maxBytes: number) {
    super(`Rule of ${bytes} bytes is larger than the inspector can store (${maxBytes} bytes)`, 413);
  }
}

/** `POST /v1/rules` with a UUID already taken (409). */
export class RuleAlreadyExists extends InspectorError {
  constructor(uuid: string) {
    super(`Rule with UUID ${uuid} already exists`, 409);
  }
}

/** `GET`/`DELETE /v1/rules/<uuid>` of an unknown rule (404). */
export class RuleNotFound extends InspectorError {
  constructor(uuid: string) {
    super(`Rule ${uuid} was not found`, 404);
  }
}

/** A `fail` action ran: the introspection ends in `error` with the rule's message (400). */
export class RuleFailAction extends InspectorError {}

/**
 * A rule could not be evaluated on this node's data (upstream: an unexpected exception and a 500):
 * a comparison between values Python does not order, a value that does not convert, a path that
 * cannot be followed. The introspection ends in `error` with this text (400).
 */
export class RuleEvaluationError extends InspectorError {
  constructor(rule: string, detail: string) {
    super(`Introspection rule ${rule} could not be evaluated: ${detail}`, 400);
  }
}

/**
 * An action value whose `{data[...]}` placeholders do not resolve in this node's data (upstream
 * reports the unformatted template text with an HTML 500 page). The introspection ends in `error`.
 */
export class RuleFormattingError extends InspectorError {
  /** A key the data does not have: upstream's intended message, filled in. */
  static missingKey(value: string, key: string): RuleFormattingError {
    return new RuleFormattingError(`Invalid formatting variable key provided in value ${value}: ${key}`);
  }

  /** Any other failure (index out of range, wrong type, bad format spec). */
  static invalid(value: string, detail: string): RuleFormattingError {
    return new RuleFormattingError(`Invalid formatting of value ${value}: ${detail}`);
  }
}
