/**
 * The metrics port: the counters the inspector emits. Powertools' EMF metrics implement it in AWS
 * (`lib/observability.ts`); `noMetrics` counts nothing.
 *
 * @example
 * ```ts
 * metrics.count(InspectorMetric.IntrospectionsStarted);
 * ```
 */
/** The metrics the inspector emits. */
export const InspectorMetric = {
  IntrospectionsStarted: 'IntrospectionsStarted',
  IntrospectionsFinished: 'IntrospectionsFinished',
  IntrospectionsFailed: 'IntrospectionsFailed',
  IntrospectionsTimedOut: 'IntrospectionsTimedOut',
  LookupFailures: 'LookupFailures',
  /** Callbacks refused unlooked-up: their source address spent its budget of failed lookups. */
  LookupsThrottled: 'LookupsThrottled',
  LockWaits: 'LockWaits',
} as const;
export type InspectorMetricName = (typeof InspectorMetric)[keyof typeof InspectorMetric];

/** What the domain needs of metrics: counters. */
export interface MetricsSink {
  count(name: InspectorMetricName, value?: number): void;
}

/** Counts nothing (tests, scripts). */
export const noMetrics: MetricsSink = { count() {} };
