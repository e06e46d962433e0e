/**
 * The CDK stack, checked with aws-cdk-lib/assertions: resources and their secure settings, each
 * function's grants, the schedule, the alarms, public versus protected routes for every auth mode, the
 * handlers' environment, and cdk-nag's AwsSolutions checks passing (no unacknowledged finding).
 */

import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { App, Duration, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { bundledPackages, linkProjectModules, runtimeSdkImports } from '#test/support/function-assets.ts';
import {
  type ApiAuthMode,
  type ServerlessInspectorProps,
  ServerlessInspectorStack,
} from '../../infra/inspector-stack.ts';

/** Synthesize a stack (without bundling: assets are checked by the full synth test below). */
function synth(props: Partial<ServerlessInspectorProps> = {}, bundle = false) {
  const app = new App({ context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ServerlessInspectorStack(app, 'Inspector', {
    ironicUrl: 'https://ironic.example.com:6385',
    callbackAllowedCidrs: ['198.51.100.0/28'],
    ...props,
  } as ServerlessInspectorProps);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { app, stack, template: Template.fromStack(stack), assembly };
}

/**
 * The asset directory of the function whose logical id starts with `prefix`, in a bundled synth;
 * the project's `node_modules` stands in for the Lambda runtime's AWS SDK when it is imported.
 */
function assetOf(assemblyDir: string, template: Template, prefix: string): string {
  linkProjectModules(assemblyDir);
  const functions = template.findResources('AWS::Lambda::Function');
  const fn = Object.entries(functions).find(([id]) => id.startsWith(prefix))?.[1];
  const s3Key = String(fn?.Properties?.Code?.S3Key ?? ''); // "<asset hash>.zip"
  return `${assemblyDir}/asset.${s3Key.replace(/\.zip$/, '')}`;
}

const defaultStack = synth();
const t = defaultStack.template;

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every action granted to a function's role (all its inline policies). */
function actionsOf(template: Template, functionPrefix: string): string[] {
  const roles = template.findResources('AWS::IAM::Role');
  const roleId = Object.keys(roles).find((id) => id.startsWith(`${functionPrefix}FunctionServiceRole`));
  expect(roleId).toBeDefined();
  const policies = template.findResources('AWS::IAM::Policy');
  const actions: string[] = [];
  for (const policy of Object.values(policies)) {
    const roleRefs = JSON.stringify(policy.Properties.Roles);
    if (!roleRefs.includes(roleId as string)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
      actions.push(...(Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
    }
  }
  return [...new Set(actions)].sort();
}

function functionEnv(template: Template, functionPrefix: string): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function');
  const id = Object.keys(functions).find((k) => k.startsWith(`${functionPrefix}Function`));
  expect(id).toBeDefined();
  return (functions[id as string]?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
}

describe('resources', () => {
  it('the node cache table: on demand, PITR, deletion protection, its indexes and TTL', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'nodes-by-state', Projection: { ProjectionType: 'ALL' } }),
        Match.objectLike({
          IndexName: 'nodes-by-start',
          KeySchema: [
            { AttributeName: 'sk', KeyType: 'HASH' },
            { AttributeName: 'list_key', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
        Match.objectLike({
          IndexName: 'lookup-attributes',
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['node_uuid'] },
        }),
      ]),
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
    t.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });

  it('the data bucket: encrypted, private, TLS only, versioned with a lifecycle, access-logged', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]),
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'introspection-data/' }),
    });
    const policies = t.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('the worker queue: encrypted, TLS only, a dead-letter queue after 5 receives', () => {
    t.resourceCountIs('AWS::SQS::Queue', 3); // + the events pipe's dead letters (infra-events.test.ts)
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 540,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    synth({ workerConcurrency: 3 }).template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it('functions: Node.js 24 on ARM64, source maps, explicit log retention', () => {
    const functions = t.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(3);
    for (const f of Object.values(functions)) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
      expect(f.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    // 3 functions + API access log + the events pipe's log
    expect(Object.keys(t.findResources('AWS::Logs::LogGroup'))).toHaveLength(5);
  });

  it('the API: HTTP API, throttled, with JSON access logs', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('the clean-up runs every minute (the smallest EventBridge rate; upstream: 60 s)', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CleanUpFunction'), 'Arn'] } }),
      ],
    });
    const custom = synth({ cleanUpPeriod: Duration.minutes(5) }).template;
    custom.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('alarms: dead letters (worker, events), API 5xx, failed lookups, and errors and throttles of every function', () => {
    // Dead letters of the worker and the events pipe, API 5xx, failed lookups; errors and throttles of three functions.
    t.resourceCountIs('AWS::CloudWatch::Alarm', 4 + 3 * 2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Namespace: 'AWS/ApiGateway' });
    for (const metric of ['Errors', 'Throttles']) {
      const alarms = t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } });
      expect(Object.keys(alarms)).toHaveLength(3);
    }
  });
});

/** The item calls the node cache makes (TransactWriteItems is authorised per item), and X-Ray's. */
const NODE_CACHE_ITEMS = [
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

describe('least privilege', () => {
  it('api: node cache items, data objects, sending jobs; no Scan, no wildcard actions', () => {
    expect(actionsOf(t, 'Api')).toEqual(
      [
        ...NODE_CACHE_ITEMS,
        ...XRAY,
        's3:DeleteObject',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('worker: node cache items, reading and writing data, consuming jobs; it sends none', () => {
    expect(actionsOf(t, 'Worker')).toEqual(
      [
        ...NODE_CACHE_ITEMS,
        ...XRAY,
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        // The SQS event source's own needs (aws-lambda-event-sources grants exactly these).
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ].sort(),
    );
  });

  it('clean-up: node cache items and deleting data only', () => {
    expect(actionsOf(t, 'CleanUp')).toEqual([...NODE_CACHE_ITEMS, ...XRAY, 's3:DeleteObject'].sort());
  });

  it('no function may Scan or use a wildcard action; the Ironic secret is readable only when used', () => {
    for (const f of ['Api', 'Worker', 'CleanUp']) {
      const actions = actionsOf(t, f);
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions.some((a) => a.endsWith('*'))).toBe(false);
      expect(actions).not.toContain('secretsmanager:GetSecretValue');
    }
    const withSecret = synth({ ironicAuthType: 'keystone' }).template;
    for (const f of ['Api', 'Worker', 'CleanUp'])
      expect(actionsOf(withSecret, f)).toContain('secretsmanager:GetSecretValue');
    withSecret.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });
});

describe('environment of the handlers', () => {
  it('every function knows the table, the bucket, Ironic and the lease; only the api knows the queue', () => {
    for (const f of ['Api', 'Worker', 'CleanUp']) {
      const env = functionEnv(t, f);
      expect(env).toMatchObject({
        NODE_CACHE_TABLE: { Ref: expect.stringMatching(/^NodeCache/) },
        INTROSPECTION_DATA_BUCKET: { Ref: expect.stringMatching(/^IntrospectionData/) },
        IRONIC_URL: 'https://ironic.example.com:6385',
        IRONIC_AUTH_TYPE: 'none',
        INSPECTOR_TIMEOUT: '3600',
        NODE_LEASE_SECONDS: '180',
        POWERTOOLS_SERVICE_NAME: 'serverless-inspector',
      });
      expect('WORKER_QUEUE_URL' in env).toBe(f === 'Api');
      expect(env.API_AUTH_STRATEGY).toBe(f === 'Api' ? 'iam' : undefined);
    }
  });

  it('the lease outlives every function that takes one', () => {
    const functions = Object.values(t.findResources('AWS::Lambda::Function'));
    const longest = Math.max(...functions.map((f) => Number(f.Properties.Timeout)));
    expect(longest).toBeLessThan(Number(functionEnv(t, 'Api').NODE_LEASE_SECONDS));
  });

  it('optional VPC placement', () => {
    const inVpc = synth({
      network: {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['eu-west-1a'],
        subnetIds: ['subnet-0123456789abcdef0'],
        securityGroupIds: ['sg-0123456789abcdef0'],
      },
    }).template;
    const functions = Object.values(inVpc.findResources('AWS::Lambda::Function'));
    for (const f of functions) {
      expect(f.Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-0123456789abcdef0'],
        SecurityGroupIds: ['sg-0123456789abcdef0'],
      });
    }
  });

  it('deletionProtection: false lets the table and bucket go with the stack', () => {
    const dev = synth({ deletionProtection: false }).template;
    dev.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    dev.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
  });
});

describe('authentication modes', () => {
  // Upstream's three, and the dashboard's static files (they hold no data; the page asks for credentials).
  const publicRoutes = ['GET /', 'GET /{version}', 'POST /v1/continue', 'GET /dashboard/{file}'];
  const routes = (template: Template) =>
    Object.fromEntries(
      Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [
        r.Properties.RouteKey,
        r.Properties,
      ]),
    );

  const modes: Array<[ApiAuthMode, string, Partial<ServerlessInspectorProps>]> = [
    ['iam', 'AWS_IAM', {}],
    ['http_basic', 'CUSTOM', {}],
    ['keystone', 'CUSTOM', { keystoneAuthUrl: 'https://keystone.example.com/v3' }],
    ['noauth', 'NONE', {}],
  ];
  for (const [auth, type, extra] of modes) {
    it(`${auth}: the upstream public routes and the dashboard's files stay public; everything else is ${type}`, () => {
      const { template } = synth({ auth, ...extra });
      const byKey = routes(template);
      expect(Object.keys(byKey).sort()).toEqual([...publicRoutes, '$default'].sort());
      for (const key of publicRoutes) expect(byKey[key]?.AuthorizationType).toBe('NONE');
      expect(byKey.$default?.AuthorizationType).toBe(type);
    });
  }

  it('http_basic: a Lambda authorizer reading the htpasswd secret, cached per Authorization header', () => {
    const { template } = synth({ auth: 'http_basic' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 60,
    });
    expect(actionsOf(template, 'BasicAuthorizer')).toContain('secretsmanager:GetSecretValue');
    expect(functionEnv(template, 'BasicAuthorizer').HTPASSWD_SECRET_ID).toBeDefined();
  });

  it('keystone: a Lambda authorizer keyed by token; the api applies the policy; it needs the Keystone URL', () => {
    const { template } = synth({ auth: 'keystone', keystoneAuthUrl: 'https://keystone.example.com/v3' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: ['$request.header.X-Auth-Token'],
    });
    expect(functionEnv(template, 'Api').API_AUTH_STRATEGY).toBe('keystone');
    expect(functionEnv(template, 'KeystoneAuthorizer').KEYSTONE_AUTH_URL).toBe(
      'https://keystone.example.com/v3',
    );
    expect(actionsOf(template, 'KeystoneAuthorizer')).not.toContain('secretsmanager:GetSecretValue');
    expect(() => synth({ auth: 'keystone' })).toThrow('auth: keystone needs keystoneAuthUrl');
  });

  it('refuses an unknown auth mode rather than leaving the API open', () => {
    expect(() => synth({ auth: 'basic' as ApiAuthMode })).toThrow('auth must be one of');
    expect(() => synth({ ironicAuthType: 'token' as 'keystone' })).toThrow('ironicAuthType must be one of');
  });

  it('alarms notify the given SNS topic', () => {
    const { template } = synth({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
    }
  });

  it('noauth warns at synth', () => {
    const { stack } = synth({ auth: 'noauth' });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('no authentication'));
  });
});

describe('cdk-nag and bundling', () => {
  it('AwsSolutions checks pass for every mode: no unacknowledged finding', () => {
    for (const auth of ['iam', 'http_basic', 'noauth'] as const) {
      expect(() => synth({ auth, ironicAuthType: 'http_basic' })).not.toThrow();
    }
    expect(() =>
      synth({
        auth: 'keystone',
        keystoneAuthUrl: 'https://keystone.example.com/v3',
        network: {
          vpcId: 'vpc-0123456789abcdef0',
          availabilityZones: ['eu-west-1a'],
          subnetIds: ['subnet-0123456789abcdef0'],
          securityGroupIds: ['sg-0123456789abcdef0'],
        },
      }),
    ).not.toThrow();
  });

  it('the checks are live: an unacknowledged wildcard fails the synth', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ServerlessInspectorStack(app, 'Inspector', {
      ironicUrl: 'https://ironic.example.com',
      callbackAllowedCidrs: 'open',
    });
    stack.api.function.addToRolePolicy(new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions/);
  });

  it('every acknowledgement carries a reason a reviewer would accept', () => {
    // cdk-nag 3 keeps acknowledgements as construct metadata `{[ruleId]: reason}`.
    const acknowledged = (app: App): Array<{ path: string; rule: string; reason: unknown }> =>
      app.node.findAll().flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
          .flatMap((entry) =>
            Object.entries(entry.data as Record<string, unknown>).map(([rule, reason]) => ({
              path: construct.node.path,
              rule,
              reason,
            })),
          ),
      );
    /** Why a reason is not one: a placeholder, boilerplate, too short to say why, or the rule again. */
    const objection = (rule: string, reason: unknown): string | undefined => {
      if (typeof reason !== 'string') return 'not text';
      const text = reason.trim();
      if (/\b(todo|tbd|fixme|xxx|placeholder|lorem)\b/i.test(text)) return 'a placeholder';
      if (
        /\b(historical reasons|false positive|by design|as designed|not applicable|n\/a|not needed|not required|accepted risk|known issue|suppressed|ignore[ds]?)\b/i.test(
          text,
        )
      )
        return 'boilerplate';
      if (text.split(/\s+/).length < 8 || text.length < 40) return 'too short to say why';
      if (text.includes(rule.replace(/\[.*$/, ''))) return 'restates the rule';
      return undefined;
    };
    // The check itself must be able to fail.
    expect(objection('AwsSolutions-S1', 'TODO: write a reason for this acknowledgement later please')).toBe(
      'a placeholder',
    );
    expect(
      objection(
        'CloudFormation-Validate::W3045',
        'accessControl is deprecated, but we are still using it for historical reasons.',
      ),
    ).toBe('boilerplate');
    expect(objection('AwsSolutions-S1', 'Not needed.')).toBe('boilerplate');
    expect(objection('AwsSolutions-S1', 'Logging is handled elsewhere.')).toBe('too short to say why');
    expect(
      objection(
        'AwsSolutions-S1[Bucket]',
        'AwsSolutions-S1 does not apply to this bucket at all, it is fine',
      ),
    ).toBe('restates the rule');

    const perMode = [
      acknowledged(synth({ auth: 'http_basic', ironicAuthType: 'keystone' }).app),
      acknowledged(synth({ auth: 'noauth' }).app),
    ];
    // cdk-nag's rules are keyed `Annotation::AwsSolutions-…`; aws-cdk-lib adds one of its own to every
    // bucket with an access control (its reason is the library's, not this project's).
    const library = perMode.flat().filter((a) => !a.rule.startsWith('Annotation::AwsSolutions-'));
    expect(library.map((a) => [a.path, a.rule])).toEqual([
      ['Inspector/AccessLogs', 'CloudFormation-Validate::W3045'],
      ['Inspector/AccessLogs', 'CloudFormation-Validate::W3045'],
    ]);
    const ours = perMode.map((acks) =>
      acks
        .filter((a) => a.rule.startsWith('Annotation::AwsSolutions-'))
        .map((a) => ({ ...a, rule: a.rule.replace(/^Annotation::/, '') })),
    );
    // How many there are in each mode: an acknowledgement added or gone shows here (one of them:
    // the events pipe's dead-letter queue, SQS3).
    expect(ours.map((a) => a.length)).toEqual([24, 19]);
    const all = ours.flat();
    // Every rule the stack acknowledges, so a silently vanished acknowledgement (or this reader
    // finding none) fails too.
    expect([...new Set(all.map((a) => a.rule.replace(/\[.*$/, '')))].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
    const objections = all
      .map((a) => ({ ...a, objection: objection(a.rule, a.reason) }))
      .filter((a) => a.objection !== undefined);
    expect(objections).toEqual([]);
  });

  it("the api bundle runs as Lambda would run it: ESM, the runtime's SDK outside, answering GET /", {
    timeout: 120_000,
  }, async () => {
    const { assembly, template } = synth({}, true);
    const bundle = `${assetOf(assembly.directory, template, 'ApiFunction')}/index.mjs`;
    expect(existsSync(bundle)).toBe(true);
    // The default: no AWS SDK code inside, the clients imported by name from the Lambda runtime.
    expect([...bundledPackages(dirname(bundle))].filter((p) => p.startsWith('@aws-sdk/'))).toEqual([]);
    expect(runtimeSdkImports(dirname(bundle))).toContain('@aws-sdk/client-dynamodb');
    const saved = { ...process.env };
    Object.assign(process.env, {
      NODE_CACHE_TABLE: 'bundle-check',
      POWERTOOLS_DEV: 'true',
      API_AUTH_STRATEGY: 'iam',
    });
    try {
      const { handler } = (await import(bundle)) as {
        handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
      };
      const response = await handler(
        {
          version: '2.0',
          routeKey: '$default',
          rawPath: '/',
          rawQueryString: '',
          headers: { host: 'abc.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https' },
          requestContext: {
            domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
            http: { method: 'GET', path: '/' },
            requestId: 'r1',
            stage: '$default',
          },
          isBase64Encoded: false,
        },
        { awsRequestId: 'r1', functionName: 'api', getRemainingTimeInMillis: () => 29_000 },
      );
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body).versions[0].links[0].href).toBe(
        'https://abc.execute-api.eu-west-1.amazonaws.com/v1',
      );
    } finally {
      process.env = saved;
    }
  });

  it('the real synth bundles every handler as an ESM asset with a source map; bundleAwsSdk puts the pinned SDK inside', {
    timeout: 120_000,
  }, () => {
    const { assembly, template } = synth(
      { auth: 'keystone', keystoneAuthUrl: 'https://keystone.example.com/v3', bundleAwsSdk: true },
      true,
    );
    const assets = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      const dir = `${assembly.directory}/${asset}`;
      if (!existsSync(`${dir}/index.mjs`)) continue;
      expect(existsSync(`${dir}/index.mjs.map`)).toBe(true);
    }
    const worker = assetOf(assembly.directory, template, 'WorkerFunction');
    expect([...bundledPackages(worker)]).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-s3', '@aws-sdk/lib-dynamodb']),
    );
    // Only the SDK's own optional signers (never used here) are left to be found at run time.
    for (const pkg of runtimeSdkImports(worker)) {
      expect(['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a']).toContain(pkg);
    }
  });
});
