/**
 * How `npm start` ends, whatever ends it: SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the stack and exit
 * 0; an uncaught exception or an unhandled rejection is printed, stops the stack and exits 1; a second
 * signal while stopping exits 1 at once (DynamoDB Local is still killed by its `exit` hook in
 * `local-services.ts`). Only SIGKILL cannot be caught.
 *
 * @example
 * ```ts
 * const exits = stopOnExit(() => stack.stop(), { log: console.error });
 * ```
 */

/** The parts of `process` used here (tests pass a stand-in). */
export interface ExitingProcess {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  exit(code: number): void;
}

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** An error as one readable line (a stack only for what is not a plain message). */
export function describeFailure(err: unknown): string {
  if (err instanceof Error && (err.name === 'PortTaken' || err.name === 'ConfigurationError')) {
    return err.message;
  }
  return err instanceof Error ? (err.stack ?? String(err)) : String(err);
}

/**
 * Stop with `stop` on any of the ways out above. Returns `exit(code, reason?)`, which does the same
 * from the caller (a failed start).
 */
export function stopOnExit(
  stop: () => Promise<void>,
  options: { readonly log: (line: string) => void; readonly proc?: ExitingProcess },
): (code: number, reason?: string) => Promise<void> {
  const proc = options.proc ?? (process as unknown as ExitingProcess);
  let stopping: Promise<void> | undefined;
  const exit = async (code: number, reason?: string): Promise<void> => {
    if (stopping !== undefined) {
      // Asked again while stopping: give up waiting.
      proc.exit(1);
      return;
    }
    if (reason !== undefined) options.log(reason);
    stopping = stop().catch((err: unknown) => options.log(`Stopping failed: ${describeFailure(err)}`));
    await stopping;
    proc.exit(code);
  };
  for (const signal of STOP_SIGNALS) {
    proc.on(signal, () => void exit(0, `${signal}: stopping…`));
  }
  proc.on('uncaughtException', (err) => void exit(1, `Uncaught exception: ${describeFailure(err)}`));
  proc.on('unhandledRejection', (err) => void exit(1, `Unhandled rejection: ${describeFailure(err)}`));
  return exit;
}
