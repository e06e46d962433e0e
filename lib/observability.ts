/**
 * The process's Powertools Logger and Metrics, created once (one per Lambda container), and the small
 * metrics interface the domain writes to.
 *
 * Logs are JSON lines carrying the node UUID (`node`) and, in handlers, the request id; metrics are
 * EMF in the `ServerlessInspector` namespace. Locally `POWERTOOLS_DEV=true` pretty-prints logs and
 * keeps metrics off stdout.
 *
 * @example
 * ```ts
 * import { logger, metrics, InspectorMetric } from '#lib/observability.ts';
 * metrics.count(InspectorMetric.IntrospectionsStarted);
 * logger.info('Introspection started', { node: uuid });
 * ```
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The metrics the inspector emits. */
export const InspectorMetric = {
  IntrospectionsStarted: 'IntrospectionsStarted',
  IntrospectionsFinished: 'IntrospectionsFinished',
  IntrospectionsFailed: 'IntrospectionsFailed',
  IntrospectionsTimedOut: 'IntrospectionsTimedOut',
  LookupFailures: 'LookupFailures',
  LockWaits: 'LockWaits',
} as const;
export type InspectorMetricName = (typeof InspectorMetric)[keyof typeof InspectorMetric];

/** What the domain needs of metrics: counters. */
export interface MetricsSink {
  count(name: InspectorMetricName, value?: number): void;
}

/** Counts nothing (tests, scripts). */
export const noMetrics: MetricsSink = { count() {} };

export const logger = new Logger({ serviceName: 'serverless-inspector' });

export const powertoolsMetrics = new Metrics({
  namespace: 'ServerlessInspector',
  serviceName: 'serverless-inspector',
});

/** The Powertools metrics as a {@link MetricsSink}. */
export const metrics: MetricsSink = {
  count(name, value = 1) {
    powertoolsMetrics.addMetric(name, MetricUnit.Count, value);
  },
};
