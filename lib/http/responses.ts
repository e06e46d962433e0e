/**
 * The API's answers: JSON with the microversion headers, and the inspector's error body
 * `{"error": {"message": …}}` for any thrown error (an InspectorError keeps its status and message;
 * anything else is a 500 "Internal server error", with the class and text when `debug` is on).
 *
 * @example
 * ```ts
 * return json(200, { uuid });
 * return responseForError(new NodeLockedError(), false); // 409 {"error": {"message": "Node is locked, …"}}
 * ```
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InspectorError, TooManyFailedLookups } from '#lib/domain/errors.ts';
import {
  MAX_API_VERSION,
  MAX_VERSION_HEADER,
  MIN_API_VERSION,
  MIN_VERSION_HEADER,
} from '#lib/http/version.ts';

/** An answer of the api function. */
export type ApiResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/** A JSON response with the microversion headers every answer carries. */
export function json(statusCode: number, body: unknown): ApiResponse {
  return {
    statusCode,
    headers: {
      'Content-Type': 'application/json',
      [MIN_VERSION_HEADER]: MIN_API_VERSION,
      [MAX_VERSION_HEADER]: MAX_API_VERSION,
    },
    body: JSON.stringify(body),
  };
}

/** An empty answer (204), `text/plain` as upstream's, with the microversion headers. */
export function empty(statusCode: number): ApiResponse {
  return {
    statusCode,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      [MIN_VERSION_HEADER]: MIN_API_VERSION,
      [MAX_VERSION_HEADER]: MAX_API_VERSION,
    },
    body: '',
  };
}

/** The inspector's error body: `{"error": {"message": …}}`. */
export function errorResponse(statusCode: number, message: string): ApiResponse {
  return json(statusCode, { error: { message } });
}

/**
 * Map a thrown error: inspector errors keep their status and message; anything else is a 500
 * "Internal server error" (with the class and text when `debug`).
 */
export function responseForError(err: unknown, debug: boolean): ApiResponse {
  if (err instanceof TooManyFailedLookups) {
    // When the source's budget is back (the end of its minute), for clients that honour the header.
    const response = errorResponse(err.httpStatus, err.message);
    response.headers['Retry-After'] = String(err.retryAfterSeconds);
    return response;
  }
  if (err instanceof InspectorError) return errorResponse(err.httpStatus, err.message);
  const error = err instanceof Error ? err : new Error(String(err));
  return errorResponse(
    500,
    debug ? `Internal server error (${error.name}): ${error.message}` : 'Internal server error',
  );
}
