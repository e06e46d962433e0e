/**
 * The process's Powertools Logger and Metrics, created once (one per Lambda container), and the small
 * metrics interface the domain writes to.
 *
 * Logs are JSON lines carrying the node UUID (`node`) and, in handlers, the request id; metrics are
 * EMF in the `ServerlessInspector` namespace. Locally `POWERTOOLS_DEV=true` keeps metrics off stdout,
 * and `LOG_FORMAT` (`lib/adapters/log-format.ts`) chooses one short line per event or JSON.
 *
 * @example
 * ```ts
 * import { logger, metrics, InspectorMetric } from '#lib/observability.ts';
 * metrics.count(InspectorMetric.IntrospectionsStarted);
 * logger.info('Introspection started', { node: uuid });
 * ```
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createPowertoolsLogger } from '#lib/adapters/log-format.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';

export {
  InspectorMetric,
  type InspectorMetricName,
  type MetricsSink,
  noMetrics,
} from '#lib/ports/metrics.ts';

/** The Powertools logger (handlers add the Lambda context and the request id to it). */
export const powertoolsLogger = createPowertoolsLogger({ serviceName: 'serverless-inspector' });

/** The Powertools logger behind the domain's {@link Logger} interface. */
export const logger: Logger = {
  debug: (message, extra) =>
    extra ? powertoolsLogger.debug(message, extra) : powertoolsLogger.debug(message),
  info: (message, extra) => (extra ? powertoolsLogger.info(message, extra) : powertoolsLogger.info(message)),
  warn: (message, extra) => (extra ? powertoolsLogger.warn(message, extra) : powertoolsLogger.warn(message)),
  error: (message, extra) =>
    extra ? powertoolsLogger.error(message, extra) : powertoolsLogger.error(message),
};

export const powertoolsMetrics = new Metrics({
  namespace: 'ServerlessInspector',
  serviceName: 'serverless-inspector',
  // Most requests (status, list) count nothing: Powertools' "no metrics to publish" warning on each of
  // them is noise, so it goes to debug; its other messages keep their level.
  logger: {
    debug: (...args: unknown[]) => powertoolsLogger.debug(String(args[0])),
    info: (...args: unknown[]) => powertoolsLogger.info(String(args[0])),
    warn: (...args: unknown[]) =>
      String(args[0]).startsWith('No application metrics to publish')
        ? powertoolsLogger.debug(String(args[0]))
        : powertoolsLogger.warn(String(args[0])),
    error: (...args: unknown[]) => powertoolsLogger.error(String(args[0])),
  },
});

/** The Powertools metrics as a {@link MetricsSink}. */
export const metrics: MetricsSink = {
  count(name, value = 1) {
    powertoolsMetrics.addMetric(name, MetricUnit.Count, value);
  },
};
