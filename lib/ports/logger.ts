/**
 * The logging interface the node cache writes to. Powertools' Logger satisfies it (the API issue wires
 * it in); the console logger below is for scripts and the local tools.
 *
 * @example
 * ```ts
 * const logger: Logger = consoleLogger;
 * logger.warn('Node was deleted from Ironic', { node: uuid });
 * ```
 */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

function line(level: string, message: string, extra?: Record<string, unknown>): string {
  return JSON.stringify({ level, message, timestamp: new Date().toISOString(), ...extra });
}

/** JSON lines on stderr; debug lines only when `LOG_LEVEL=DEBUG`. */
export const consoleLogger: Logger = {
  debug(message, extra) {
    if (process.env.LOG_LEVEL?.toUpperCase() === 'DEBUG') console.error(line('DEBUG', message, extra));
  },
  info(message, extra) {
    console.error(line('INFO', message, extra));
  },
  warn(message, extra) {
    console.error(line('WARN', message, extra));
  },
  error(message, extra) {
    console.error(line('ERROR', message, extra));
  },
};

/** Discards everything (benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
