/**
 * The introspection events in the CDK stack: the table's stream, the pipe (source, filter, input
 * template, target bus, retries and dead letters), the pipe role's permissions and nothing more, no
 * function touching the stream or the bus, the outputs, and cdk-nag passing.
 */
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  DETAIL_TYPE,
  EVENT_SOURCE,
  PIPE_FILTER_PATTERN,
  PIPE_INPUT_TEMPLATE,
} from '#lib/events/state-changed.ts';
import { ServerlessInspectorStack } from '../../infra/inspector-stack.ts';
import { IntrospectionErrorMail } from '../../infra/introspection-error-mail.ts';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new ServerlessInspectorStack(app, 'Inspector', {
  ironicUrl: 'https://ironic.example.com:6385',
  callbackAllowedCidrs: ['198.51.100.0/28'],
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth(); // throws on an unacknowledged cdk-nag finding
const t = Template.fromStack(stack);

const logicalId = (type: string, prefix: string) => {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};
const tableId = logicalId('AWS::DynamoDB::GlobalTable', 'NodeCache');
const busId = logicalId('AWS::Events::EventBus', 'IntrospectionEventsBus');
const dlqId = logicalId('AWS::SQS::Queue', 'IntrospectionEventsDeadLetters');
const roleId = logicalId('AWS::IAM::Role', 'IntrospectionEventsPipeRole');
const logsId = logicalId('AWS::Logs::LogGroup', 'IntrospectionEventsPipeLogs');
const streamArn = { 'Fn::GetAtt': [tableId, 'StreamArn'] };

describe('the stream', () => {
  it('the node cache table streams new images (a state change is whole in the new image)', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });
});

describe('the pipe', () => {
  const pipes = t.findResources('AWS::Pipes::Pipe');
  const pipe = Object.values(pipes)[0]?.Properties as {
    Source: unknown;
    Target: unknown;
    RoleArn: unknown;
    DesiredState: string;
    Enrichment?: unknown;
    SourceParameters: {
      FilterCriteria: { Filters: Array<{ Pattern: string }> };
      DynamoDBStreamParameters: unknown;
    };
    TargetParameters: unknown;
    LogConfiguration: unknown;
  };

  it('one pipe: from the table stream to the bus, through the role, running', () => {
    expect(Object.keys(pipes)).toHaveLength(1);
    expect(pipe.Source).toEqual(streamArn);
    expect(pipe.Target).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(pipe.RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(pipe.DesiredState).toBe('RUNNING');
    expect(pipe.Enrichment).toBeUndefined();
  });

  it('the filter: node records written with a state change', () => {
    expect(pipe.SourceParameters.FilterCriteria).toEqual({
      Filters: [{ Pattern: JSON.stringify(PIPE_FILTER_PATTERN) }],
    });
    expect(JSON.parse(pipe.SourceParameters.FilterCriteria.Filters[0]?.Pattern ?? '')).toEqual({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: {
        Keys: { sk: { S: ['RECORD'] } },
        NewImage: { transition: { M: { event: { S: [{ exists: true }] } } } },
      },
    });
  });

  it('the transformer and target: the detail template, detail-type and source', () => {
    expect(pipe.TargetParameters).toEqual({
      InputTemplate: PIPE_INPUT_TEMPLATE,
      EventBridgeEventBusParameters: { DetailType: DETAIL_TYPE, Source: EVENT_SOURCE },
    });
    expect(DETAIL_TYPE).toBe('Introspection State Changed');
  });

  it('reading: from the end, ten records a batch, bounded retries, bisecting, then dead letters', () => {
    expect(pipe.SourceParameters.DynamoDBStreamParameters).toEqual({
      StartingPosition: 'LATEST',
      BatchSize: 10,
      MaximumRetryAttempts: 10,
      OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
    });
    t.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 86400,
      SqsManagedSseEnabled: true,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
    });
    expect(pipe.LogConfiguration).toEqual({
      Level: 'ERROR',
      CloudwatchLogsLogDestination: { LogGroupArn: { 'Fn::GetAtt': [logsId, 'Arn'] } },
    });
  });
});

describe('permissions', () => {
  it('the pipe role: assumed by EventBridge Pipes of this account only', () => {
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'pipes.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
  });

  it('the pipe role: reading this stream, putting on this bus, its queue and its logs; nothing else', () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        Resource: streamArn,
      },
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logsId, 'Arn'] },
      },
    ]);
  });

  it('no function reads the stream or puts events: no request waits on the pipe', () => {
    const functionRoles = Object.keys(t.findResources('AWS::IAM::Role')).filter((id) => id !== roleId);
    for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
      const roles = JSON.stringify(policy.Properties.Roles);
      if (!functionRoles.some((id) => roles.includes(id))) continue;
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      expect(text).not.toMatch(/events:PutEvents|dynamodb:GetRecords|dynamodb:GetShardIterator/);
    }
  });
});

describe('outputs and checks', () => {
  it('the stack outputs the bus', () => {
    t.hasOutput('IntrospectionEventBus', { Value: { Ref: busId } });
    t.hasOutput('IntrospectionEventBusArn', { Value: { 'Fn::GetAtt': [busId, 'Arn'] } });
  });

  it('cdk-nag: no error or warning left', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(
      Annotations.fromStack(stack)
        .findWarning('*', Match.anyValue())
        .filter((w) => String(w.entry.data).includes('AwsSolutions')),
    ).toEqual([]);
  });
});

describe('the mail-on-error rule (docs/events.md, -c errorEmail=…)', () => {
  it('a rule on the bus for state error, to an e-mail topic, with a readable message; cdk-nag passes', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ServerlessInspectorStack(app, 'Inspector', {
      ironicUrl: 'https://ironic.example.com',
      callbackAllowedCidrs: ['198.51.100.0/28'],
    });
    new IntrospectionErrorMail(stack, 'Mail', { bus: stack.events.bus, email: 'ops@example.com' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const template = Template.fromStack(stack);
    const busId = Object.keys(template.findResources('AWS::Events::EventBus'))[0] as string;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: {
        source: ['serverless-inspector'],
        'detail-type': ['Introspection State Changed'],
        detail: { state: ['error'] },
      },
      Targets: [
        Match.objectLike({
          InputTransformer: Match.objectLike({
            InputPathsMap: Match.objectLike({
              'detail-node': '$.detail.node',
              'detail-error': '$.detail.error',
            }),
          }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});
