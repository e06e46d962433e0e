/**
 * The local stack for one test: the real api, worker and clean-up handlers behind the HTTP adapter, on
 * in-memory stores (the default, fast) or on DynamoDB Local and s3rver from the global setup (a fresh
 * table), with the in-memory Ironic (or the real one in the Ironic suite), its own clock and its own
 * log capture.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { IronicApi } from '#lib/ports/ironic.ts';
import type { RuntimeOptions } from '#lib/runtime.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../scripts/local-stack.ts';
import { sampleCallback } from '../../scripts/sample-callback.ts';
import { FakeIronic } from './fake-ironic.ts';
import { RecordingLogger, TestClock } from './fixture.ts';
import { expectMatchesOpenApi } from './openapi.ts';

export interface TestStack extends LocalStack {
  readonly logger: RecordingLogger;
  readonly clock: TestClock;
  /**
   * One HTTP call to the stack; the body is JSON-encoded unless it is a string. Every answer is checked
   * against `docs/openapi.json` (a mismatch throws).
   */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; json: unknown; text: string }>;
}

export async function startTestStack(
  options: {
    env?: Record<string, string>;
    ironic?: IronicApi;
    runtime?: Omit<RuntimeOptions, 'config' | 'stores'>;
    port?: number;
    /** `memory` (default) or `local-services` (DynamoDB Local and s3rver from the global setup). */
    stores?: 'memory' | 'local-services';
    /** Where introspection events go (default: nowhere; 'stack': the local stack's own sink). */
    events?: LocalStackOptions['events'] | 'stack';
  } = {},
): Promise<TestStack> {
  const logger = new RecordingLogger();
  const clock = new TestClock();
  const onServices = options.stores === 'local-services';
  const stack = await startLocalStack({
    port: options.port ?? 0,
    cleanUpPeriodSeconds: 0,
    stores: onServices ? 'local-services' : 'memory',
    ...(options.events === 'stack' ? {} : { events: options.events ?? false }),
    env: {
      ...(onServices
        ? {
            NODE_CACHE_TABLE: `api-${randomUUID()}`,
            INTROSPECTION_DATA_BUCKET: inject('introspectionDataBucket'),
            DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'),
            S3_ENDPOINT: inject('s3Endpoint'),
          }
        : {}),
      // Reboots 5 s apart would only slow the tests down; one test turns it on.
      INTROSPECTION_DELAY: '0',
      ...options.env,
    },
    runtime: {
      logger,
      now: clock.now,
      jobRetryDelayMs: 10,
      ironicRetryDelayMs: 10,
      ...(options.ironic ? { ironic: options.ironic } : {}),
      ...options.runtime,
    },
  });
  return {
    ...stack,
    logger,
    clock,
    async call(method, path, callOptions = {}) {
      const body = callOptions.body;
      const response = await fetch(`${stack.url}${path}`, {
        method,
        headers: callOptions.headers ?? {},
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const answer = { status: response.status, headers: response.headers, json, text };
      expectMatchesOpenApi(method, path, answer);
      return answer;
    },
  };
}

/** The sample inventory's ramdisk callback, for a node with these MACs and BMC address. */
export async function ramdiskCallback(macs: [string, string], bmc: string): Promise<Record<string, unknown>> {
  return sampleCallback(macs, bmc);
}

/**
 * A stack on a fresh fake Ironic with `env` as its settings, stopped after `run` whatever happens.
 *
 * @example
 * ```ts
 * await withTestStack({ POWER_OFF: 'false' }, async (stack, ironic) => { … });
 * ```
 */
export async function withTestStack(
  env: Record<string, string>,
  run: (stack: TestStack, ironic: FakeIronic) => Promise<void>,
): Promise<void> {
  const ironic = new FakeIronic();
  const stack = await startTestStack({ ironic, env });
  try {
    await run(stack, ironic);
  } finally {
    await stack.stop();
  }
}
