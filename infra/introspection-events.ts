/**
 * The introspection events: the node cache table's stream, through an EventBridge pipe (no function,
 * no enrichment), onto an event bus of the stack's own as `Introspection State Changed`.
 *
 * The pipe's filter and input template are the ones in `lib/events/state-changed.ts`, where the local
 * stack's stream reader uses them too. Nothing on a request's path waits for the pipe: it reads the
 * stream after the writes committed. Records it cannot deliver after its retries (split in halves
 * to isolate a bad one) go to a dead-letter queue, which an alarm watches.
 *
 * @example
 * ```ts
 * const events = new IntrospectionEvents(stack, 'Events', { table });
 * new Rule(stack, 'OnError', { eventBus: events.bus, eventPattern: { detail: { state: ['error'] } } });
 * ```
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DETAIL_TYPE,
  EVENT_SOURCE,
  PIPE_FILTER_PATTERN,
  PIPE_INPUT_TEMPLATE,
} from '../lib/events/state-changed.ts';

export interface IntrospectionEventsProps {
  /** The node cache table, with its stream enabled. */
  readonly table: TableV2;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

export class IntrospectionEvents extends Construct {
  readonly bus: EventBus;
  readonly pipe: CfnPipe;
  readonly role: Role;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IntrospectionEventsProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (streamArn === undefined) throw new Error('The node cache table needs its stream for the events');

    this.bus = new EventBus(this, 'Bus', {
      description: 'Serverless Inspector: Introspection State Changed events',
    });
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the events pipe; its messages are inspected by hand.',
    });
    const logs = new LogGroup(this, 'PipeLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new Role(this, 'PipeRole', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'The introspection events pipe: reads the node cache stream, puts events on the bus',
    });
    // Least privilege: this stream, this bus, this queue, this log group.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [streamArn],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logs.logGroupArn],
      }),
    );

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: 'Node cache state changes -> Introspection State Changed events',
      roleArn: this.role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'LATEST',
          // PutEvents takes ten entries at a time.
          batchSize: 10,
          maximumRetryAttempts: 10,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(PIPE_FILTER_PATTERN) }] },
      },
      target: this.bus.eventBusArn,
      targetParameters: {
        inputTemplate: PIPE_INPUT_TEMPLATE,
        eventBridgeEventBusParameters: { detailType: DETAIL_TYPE, source: EVENT_SOURCE },
      },
      logConfiguration: {
        level: 'ERROR',
        cloudwatchLogsLogDestination: { logGroupArn: logs.logGroupArn },
      },
      desiredState: 'RUNNING',
    });
    // The role's policy must exist before the pipe starts reading.
    this.pipe.node.addDependency(this.role);
  }
}
