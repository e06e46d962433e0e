/**
 * The CDK app (`npx cdk synth` / `npx cdk deploy`, or `npm run synth`). Props come from CDK context
 * (`-c key=value` or `cdk.json`), so a deploy needs no code change:
 *
 * `ironicUrl` (required to deploy), `auth` (`iam` | `keystone` | `http_basic` | `noauth`),
 * `callbackAllowedCidrs` (required: comma-separated CIDRs, or `open`), `authorizerCacheTtlSeconds`,
 * `lookupFailureAlarmThreshold`, `lookupRequirePortMac` (`false`: upstream's lookup; synth warns), `keystoneAuthUrl`, `ironicAuthType`, `ironicCredentialsSecretArn`, `deletionProtection`
 * (`true`/`false`), `cleanUpPeriodMinutes`, `introspectionTimeoutSeconds`, `workerConcurrency`, `vpcId` with `subnetIds`
 * and `securityGroupIds` (comma-separated) and `availabilityZones`, `alarmTopicArn`, `stackName`,
 * `errorEmail` (mail introspections that end in error, from the event bus), `processingHooks` and
 * `physnetCidrMap` (comma-separated), `extraHardwareStrict` (`true`/`false`), `bundleAwsSdk` (`true`: the
 * pinned AWS SDK inside every bundle instead of the Lambda runtime's).
 *
 * cdk-nag's AwsSolutions checks run at every synth; an unacknowledged finding fails it.
 */
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ApiAuthMode, ServerlessInspectorStack } from './inspector-stack.ts';
import { IntrospectionErrorMail } from './introspection-error-mail.ts';

const app = new App();
const ctx = (key: string): string | undefined => {
  const value = app.node.tryGetContext(key) as unknown;
  return value === undefined || value === null || value === '' ? undefined : String(value);
};
const list = (key: string) =>
  (ctx(key) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

const ironicUrl = ctx('ironicUrl');
if (ironicUrl === undefined) {
  throw new Error(
    "Set Ironic's URL: -c ironicUrl=https://ironic.example.com:6385 (npm run synth passes an example one)",
  );
}
const auth = ctx('auth') ?? 'iam';
if (!['iam', 'keystone', 'http_basic', 'noauth'].includes(auth)) {
  throw new Error(`-c auth must be one of iam, keystone, http_basic, noauth; got ${auth}`);
}

const callbackAllowedCidrs = ctx('callbackAllowedCidrs');
if (callbackAllowedCidrs === undefined) {
  throw new Error(
    "Say where ramdisk callbacks may come from: -c callbackAllowedCidrs=198.51.100.0/28,2001:db8:7::/48 (the provisioning network's egress ranges), or -c callbackAllowedCidrs=open (synth warns)",
  );
}

const stack = new ServerlessInspectorStack(app, ctx('stackName') ?? 'ServerlessInspector', {
  description: 'Serverless Inspector: ironic-inspector on AWS Lambda, DynamoDB and S3',
  ironicUrl,
  auth: auth as ApiAuthMode,
  callbackAllowedCidrs: callbackAllowedCidrs === 'open' ? 'open' : list('callbackAllowedCidrs'),
  ...(ctx('authorizerCacheTtlSeconds')
    ? { authorizerCacheTtl: Duration.seconds(Number(ctx('authorizerCacheTtlSeconds'))) }
    : {}),
  ...(ctx('lookupRequirePortMac') === 'false' ? { lookupRequirePortMac: false } : {}),
  ...(ctx('lookupFailureAlarmThreshold')
    ? { lookupFailureAlarmThreshold: Number(ctx('lookupFailureAlarmThreshold')) }
    : {}),
  ...(ctx('keystoneAuthUrl') ? { keystoneAuthUrl: ctx('keystoneAuthUrl') as string } : {}),
  ironicAuthType: (ctx('ironicAuthType') ?? 'none') as 'none' | 'http_basic' | 'keystone',
  ...(ctx('ironicCredentialsSecretArn')
    ? { ironicCredentialsSecretArn: ctx('ironicCredentialsSecretArn') as string }
    : {}),
  deletionProtection: ctx('deletionProtection') !== 'false',
  cleanUpPeriod: Duration.minutes(Number(ctx('cleanUpPeriodMinutes') ?? 1)),
  introspectionTimeout: Duration.seconds(Number(ctx('introspectionTimeoutSeconds') ?? 3600)),
  ...(ctx('vpcId')
    ? {
        network: {
          vpcId: ctx('vpcId') as string,
          availabilityZones: list('availabilityZones'),
          subnetIds: list('subnetIds'),
          securityGroupIds: list('securityGroupIds'),
        },
      }
    : {}),
  ...(ctx('alarmTopicArn') ? { alarmTopicArn: ctx('alarmTopicArn') as string } : {}),
  ...(ctx('workerConcurrency') ? { workerConcurrency: Number(ctx('workerConcurrency')) } : {}),
  ...(ctx('bundleAwsSdk') === 'true' ? { bundleAwsSdk: true } : {}),
  processing: {
    ...(ctx('processingHooks') ? { hooks: list('processingHooks') } : {}),
    ...(ctx('physnetCidrMap') ? { physnetCidrMap: list('physnetCidrMap') } : {}),
    ...(ctx('extraHardwareStrict') ? { extraHardwareStrict: ctx('extraHardwareStrict') === 'true' } : {}),
  },
});
const errorEmail = ctx('errorEmail');
if (errorEmail !== undefined) {
  new IntrospectionErrorMail(stack, 'IntrospectionErrorMail', { bus: stack.events.bus, email: errorEmail });
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
