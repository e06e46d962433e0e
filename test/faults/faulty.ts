/**
 * Fault injection by decorating ports: every call of a wrapped port goes through a {@link FaultPlan},
 * which may throw an error before the call, let the call land and then throw (an answer lost), delay
 * it (a slow service), or crash the process: from the crash on, every call of every port wrapped
 * with the plan hangs for good, so nothing the dead process would have done afterwards (a `finally`
 * releasing a lease, an error recorded on the node, a job enqueued) ever happens, as with `kill -9`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** What happens at a matching call. */
export type FaultAction =
  | { readonly kind: 'throw'; readonly error: () => Error }
  | { readonly kind: 'throw-after'; readonly error: () => Error }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'crash-before' }
  | { readonly kind: 'crash-after' };

/** One rule: calls of `port.method` (either may be `*`), from the `from`-th matching one, `times` times. */
export interface FaultRule {
  readonly port: string;
  readonly method: string;
  readonly from?: number;
  readonly times?: number;
  readonly action: FaultAction;
}

const HANG = () => new Promise<never>(() => {});

/** The faults of one process (one runtime), and the calls it made. */
export class FaultPlan {
  /** Every call made through the plan, as `port.method`, in order. */
  readonly calls: string[] = [];
  /** How many faults were injected. */
  injected = 0;
  crashed = false;
  #rules: Array<FaultRule & { seen: number; fired: number }> = [];

  add(rule: FaultRule): this {
    this.#rules.push({ ...rule, seen: 0, fired: 0 });
    return this;
  }

  clear(): void {
    this.#rules = [];
  }

  /** Crash at the `n`-th call (1-based) made through the plan, before or after it lands. */
  crashAtCall(n: number, when: 'before' | 'after'): this {
    return this.add({ port: '*', method: '*', from: n, times: 1, action: { kind: `crash-${when}` } });
  }

  #match(port: string, method: string): FaultAction | undefined {
    for (const rule of this.#rules) {
      if ((rule.port !== '*' && rule.port !== port) || (rule.method !== '*' && rule.method !== method))
        continue;
      rule.seen++;
      if (rule.seen >= (rule.from ?? 1) && rule.fired < (rule.times ?? 1)) {
        rule.fired++;
        this.injected++;
        return rule.action;
      }
    }
    return undefined;
  }

  /** Run one call of `port.method` under the plan. */
  async run<T>(port: string, method: string, call: () => Promise<T>): Promise<T> {
    if (this.crashed) return HANG();
    this.calls.push(`${port}.${method}`);
    const action = this.#match(port, method);
    if (action?.kind === 'throw') throw action.error();
    if (action?.kind === 'crash-before') {
      this.crashed = true;
      return HANG();
    }
    if (action?.kind === 'delay') await sleep(action.ms);
    const result = await call();
    if (this.crashed) return HANG();
    if (action?.kind === 'crash-after') {
      this.crashed = true;
      return HANG();
    }
    if (action?.kind === 'throw-after') throw action.error();
    return result;
  }
}

/** `target` with every method call going through `plan` as `port.<method>`. */
export function faulty<T extends object>(port: string, target: T, plan: FaultPlan): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) =>
        plan.run(port, property, () => Promise.resolve(value.apply(object, args) as unknown));
    },
  });
}

/** An error as an AWS service answers it (the SDK's `$metadata`), e.g. throttling. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, $fault: 'client' });
}
