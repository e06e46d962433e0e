/**
 * The one middy wrapper every function uses: Powertools' logger (Lambda context, keys reset per
 * invocation) and metrics (published after each invocation, error or not), then the function's own
 * middlewares, then its handler. And a lazily built handler, so the runtime reads its configuration
 * on the first invocation rather than when the module loads.
 *
 * @example
 * ```ts
 * export const handler = lazyHandler(() => lambdaHandler(async (event: ScheduledEvent) => …));
 * ```
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { powertoolsLogger, powertoolsMetrics } from '#lib/observability.ts';

/** A Lambda handler as the functions export it. */
export type LambdaHandler<TEvent, TResult, TContext extends Context = Context> = (
  event: TEvent,
  context: TContext,
) => Promise<TResult>;

/** `handle` behind Powertools and `middlewares` (in order: the first one's `before` runs first). */
export function lambdaHandler<TEvent, TResult, TContext extends Context = Context>(
  handle: (event: TEvent, context: TContext) => Promise<TResult>,
  middlewares: readonly MiddlewareObj<TEvent, TResult, Error, TContext>[] = [],
): LambdaHandler<TEvent, TResult, TContext> {
  // timeoutEarlyInMillis 0: no early-timeout abort signal (the functions finish their own work).
  const chain = middy<TEvent, TResult, Error, TContext>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(powertoolsLogger, { resetKeys: true }))
    .use(logMetrics(powertoolsMetrics));
  for (const middleware of middlewares) chain.use(middleware);
  const handler = chain.handler(handle);
  return (event, context) => handler(event, context);
}

/** A handler built by `build` on its first invocation and kept for the container's life. */
export function lazyHandler<TEvent, TResult, TContext extends Context = Context>(
  build: () => LambdaHandler<TEvent, TResult, TContext>,
): LambdaHandler<TEvent, TResult, TContext> {
  let built: LambdaHandler<TEvent, TResult, TContext> | undefined;
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}
