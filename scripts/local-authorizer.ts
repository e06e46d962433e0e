/**
 * The local stack's API authorizer (`http_basic` or `keystone`), run in a worker thread
 * (`scripts/authorizer-thread.mjs`) with the stack's settings, as API Gateway runs it: apart from the
 * api, bounded by the authorizer function's timeout.
 *
 * @example
 * ```ts
 * const authorizer = await startLocalAuthorizer('keystone', env, 10_000);
 * const decision = await authorizer.authorize(event); // { isAuthorized, context } or { failed: … }
 * await authorizer.stop();
 * ```
 */
import { Worker } from 'node:worker_threads';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';

export type AuthorizerDecision =
  | APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>
  | { readonly failed: 'error' | 'timeout'; readonly message: string };

export interface LocalAuthorizer {
  authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerDecision>;
  stop(): Promise<void>;
}

const ENTRIES = {
  http_basic: new URL('../functions/authorizer-basic.ts', import.meta.url).href,
  keystone: new URL('../functions/authorizer-keystone.ts', import.meta.url).href,
} as const;

type Reply =
  | { ready: true }
  | { id: number; result: APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>> }
  | { id: number; error: string };

/** Start the authorizer of `strategy` in its own thread, with `env` as its environment. */
export async function startLocalAuthorizer(
  strategy: keyof typeof ENTRIES,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): Promise<LocalAuthorizer> {
  const workerEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const worker = new Worker(new URL('./authorizer-thread.mjs', import.meta.url), {
    workerData: { entry: ENTRIES[strategy] },
    env: workerEnv,
  });
  const pending = new Map<number, (decision: AuthorizerDecision) => void>();
  let nextId = 0;
  let failure: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        resolve();
        return;
      }
      const settle = pending.get(reply.id);
      pending.delete(reply.id);
      settle?.('result' in reply ? reply.result : { failed: 'error', message: reply.error });
    });
    worker.on('error', (err) => {
      failure = err;
      reject(err);
      for (const settle of pending.values()) settle({ failed: 'error', message: String(err) });
      pending.clear();
    });
  });
  await ready;

  return {
    authorize(event) {
      if (failure !== undefined) return Promise.resolve({ failed: 'error', message: String(failure) });
      const id = nextId++;
      return new Promise<AuthorizerDecision>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({
            failed: 'timeout',
            message: `The authorizer did not answer within ${timeoutMs / 1000} s`,
          });
        }, timeoutMs);
        pending.set(id, (decision) => {
          clearTimeout(timer);
          resolve(decision);
        });
        worker.postMessage({ id, event });
      });
    },
    async stop() {
      await worker.terminate();
    },
  };
}
