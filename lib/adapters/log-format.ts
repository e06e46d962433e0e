/**
 * How the Powertools logger prints, chosen by `LOG_FORMAT`:
 *
 * - unset: Powertools as is (in Lambda: one JSON object per line; with `POWERTOOLS_DEV`: pretty JSON);
 * - `line`: one short line per event, for people (`npm start` uses it unless told otherwise):
 *   `15:04:05 INFO  node=1be26c0b-… Introspection started`, then the event's other keys as `key=value`;
 * - `json`: Powertools' JSON, one object per line;
 * - `pretty`: Powertools' JSON, indented.
 *
 * The line drops what only matters in Lambda (function name, ARN, cold start, X-Ray trace, the request
 * id): `LOG_FORMAT=json` keeps everything.
 *
 * @example
 * ```ts
 * const logger = createPowertoolsLogger({ serviceName: 'serverless-inspector' }); // reads LOG_FORMAT
 * logger.appendKeys({ node: uuid });
 * logger.info('Introspection started'); // 15:04:05 INFO  node=… Introspection started
 * ```
 */
import { LogFormatter, Logger, LogItem, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type {
  ConstructorOptions,
  LogAttributes,
  UnformattedAttributes,
} from '@aws-lambda-powertools/logger/types';

export const LOG_FORMATS = ['line', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The format `LOG_FORMAT` names; undefined (Powertools as is) when unset or not one of {@link LOG_FORMATS}. */
export function logFormatFrom(env: Readonly<Record<string, string | undefined>>): LogFormat | undefined {
  const value = env.LOG_FORMAT?.trim().toLowerCase();
  return LOG_FORMATS.find((f) => f === value);
}

/** Keys first on a line, in this order, written `key=value`. */
const LEADING_KEYS = ['node', 'job'] as const;
/** Keys a line leaves out (Lambda's context, and keys that are already the line's own columns). */
const DROPPED_KEYS = new Set(['requestId', 'service', 'timestamp', 'level', 'message']);

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** A value as it appears after `key=`: bare when it is one word, else JSON (quoted, escaped). */
function lineValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(String(value));
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * A Powertools log formatter for {@link LineLogger}: keeps the time (local, to the second), the level,
 * the message and the event's own keys; drops the Lambda context.
 */
export class LineLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const t = attributes.timestamp;
    const item: LogAttributes = {
      time: `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`,
      level: attributes.logLevel,
      message: attributes.message,
    };
    for (const [key, value] of Object.entries(additional)) {
      if (!DROPPED_KEYS.has(key)) item[key] = value;
    }
    return new LogItem({ attributes: item });
  }
}

/** One event as one line: `15:04:05 INFO  node=… job=… message key=value …`. */
export function formatLine(attributes: LogAttributes): string {
  const { time, level, message, ...rest } = attributes;
  let line = `${String(time)} ${String(level).padEnd(5)}`;
  for (const key of LEADING_KEYS) {
    if (rest[key] !== undefined) line += ` ${key}=${lineValue(rest[key])}`;
  }
  line += ` ${String(message)}`;
  for (const [key, value] of Object.entries(rest)) {
    if (!(LEADING_KEYS as readonly string[]).includes(key)) line += ` ${key}=${lineValue(value)}`;
  }
  return line;
}

/** The Powertools logger printing in `format` (`line`, `json` or `pretty`); warnings and errors on stderr. */
export class LineLogger extends Logger {
  readonly #format: LogFormat;

  constructor(options: ConstructorOptions, format: LogFormat) {
    // ConstructorOptions is a union (a formatter excludes logRecordOrder); the line formatter orders itself.
    super(
      format === 'line'
        ? ({ ...options, logFormatter: new LineLogFormatter() } as ConstructorOptions)
        : options,
    );
    this.#format = format;
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new LineLogger(options ?? {}, this.#format);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const attributes = log.getAttributes();
    const text =
      this.#format === 'line'
        ? formatLine(attributes)
        : JSON.stringify(attributes, this.getJsonReplacer(), this.#format === 'pretty' ? 4 : 0);
    (logLevel >= LogLevelThreshold.WARN ? process.stderr : process.stdout).write(`${text}\n`);
  }
}

/** The process's Powertools logger: Powertools as is, or {@link LineLogger} when `LOG_FORMAT` is set. */
export function createPowertoolsLogger(
  options: ConstructorOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Logger {
  const format = logFormatFrom(env);
  return format === undefined ? new Logger(options) : new LineLogger(options, format);
}
