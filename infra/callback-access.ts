/**
 * The stack's guards around the public ramdisk callback: the source allowlist handed to the api
 * function (`CALLBACK_ALLOWED_CIDRS`, checked there because an HTTP API has no resource policy and
 * no WAF), the synth warning when it is left open, the lookup that needs a port MAC (on unless
 * switched off, with a warning), and the alarm on failed lookups.
 *
 * @example
 * ```ts
 * const env = { CALLBACK_ALLOWED_CIDRS: callbackAllowedCidrsSetting(this, props.callbackAllowedCidrs) };
 * const alarm = lookupFailuresAlarm(this, 10);
 * ```
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { CidrList, EVERYWHERE, InvalidCidr } from '../lib/domain/cidr.ts';

/** The provisioning network's egress ranges, or `'open'` (every address: upstream's behaviour). */
export type CallbackAllowedCidrs = readonly string[] | 'open';

/**
 * The `CALLBACK_ALLOWED_CIDRS` value for the api function. Leaving the callback open is a choice
 * that must be made explicitly, and synth warns about it, as it does for `auth: 'noauth'`.
 *
 * @throws Error when the prop is missing, empty or holds something that is not a range
 */
export function callbackAllowedCidrsSetting(
  scope: Construct,
  allowed: CallbackAllowedCidrs | undefined,
): string {
  if (allowed === undefined) {
    throw new Error(
      "callbackAllowedCidrs is required: the provisioning network's egress ranges (e.g. ['198.51.100.0/28']), or 'open' to accept ramdisk callbacks from anywhere (synth warns)",
    );
  }
  let list: CidrList;
  try {
    list = CidrList.parse(allowed === 'open' ? [...EVERYWHERE] : allowed);
  } catch (err) {
    throw new Error(`callbackAllowedCidrs: ${err instanceof InvalidCidr ? err.message : String(err)}`);
  }
  if (list.cidrs.length === 0) {
    throw new Error(
      "callbackAllowedCidrs is empty: no ramdisk could call back. Give the provisioning network's egress ranges, or 'open'",
    );
  }
  if (list.open) {
    Annotations.of(scope).addWarningV2(
      'serverless-inspector:callbackOpen',
      'POST /v1/continue accepts ramdisk callbacks from any address (callbackAllowedCidrs covers 0.0.0.0/0 or ::/0): anyone on the internet can post introspection data for nodes under introspection. Give the provisioning network egress ranges instead.',
    );
  }
  return list.toString();
}

/**
 * The `LOOKUP_REQUIRE_PORT_MAC` value for the api function: `true` unless switched off, which is
 * upstream's behaviour (a BMC address alone finds a node) and warned about at synth.
 */
export function lookupRequirePortMacSetting(scope: Construct, required: boolean | undefined): string {
  if (required === false) {
    Annotations.of(scope).addWarningV2(
      'serverless-inspector:lookupByBmcAddress',
      "lookupRequirePortMac is false: a ramdisk callback carrying only a node's BMC address is matched to it, so anyone who can reach POST /v1/continue can post data for, or fail, a node under introspection.",
    );
  }
  return required === false ? 'false' : 'true';
}

/**
 * An alarm on the api's `LookupFailures` metric (Powertools EMF: namespace `ServerlessInspector`,
 * dimension `service`): a sweep of made-up MACs or BMC addresses shows up as failed lookups, and
 * callbacks refused past a source's budget (`LOOKUP_FAILURES_PER_MINUTE`) count there too.
 */
export function lookupFailuresAlarm(scope: Construct, threshold: number): Alarm {
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new Error(`lookupFailureAlarmThreshold must be a positive integer; got ${threshold}`);
  }
  return new Alarm(scope, 'LookupFailuresAlarm', {
    alarmDescription: `More than ${threshold} ramdisk callbacks in 5 minutes matched no node (a sweep, or nodes booting the ramdisk without an introspection)`,
    metric: new Metric({
      namespace: 'ServerlessInspector',
      metricName: 'LookupFailures',
      dimensionsMap: { service: 'serverless-inspector' },
      period: Duration.minutes(5),
      statistic: 'Sum',
    }),
    threshold,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
