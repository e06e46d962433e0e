/**
 * A rule on the introspection event bus that mails every introspection that ends in `error` (failed,
 * timed out, aborted, or a rule's `fail`), through an SNS topic with an e-mail subscription. The CDK
 * app adds it with `-c errorEmail=ops@example.com`; it is also the example of `docs/events.md`.
 *
 * @example
 * ```ts
 * new IntrospectionErrorMail(stack, 'IntrospectionErrorMail', { bus: stack.events.bus, email: 'ops@example.com' });
 * ```
 */
import { Validations } from 'aws-cdk-lib';
import { EventField, type IEventBus, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DETAIL_TYPE, EVENT_SOURCE } from '../lib/events/state-changed.ts';

export interface IntrospectionErrorMailProps {
  readonly bus: IEventBus;
  /** Who gets the mails (SNS asks the address to confirm first). */
  readonly email: string;
}

export class IntrospectionErrorMail extends Construct {
  readonly topic: Topic;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: IntrospectionErrorMailProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Serverless Inspector: introspection errors',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        "The mails carry a node UUID, a state and an error text, no secret; an SNS key of AWS's own would keep EventBridge from publishing.",
    });
    this.topic.addSubscription(new EmailSubscription(props.email));
    const field = (name: string) => EventField.fromPath(`$.detail.${name}`);
    this.rule = new Rule(this, 'Rule', {
      description: 'Mail introspections that end in error',
      eventBus: props.bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [DETAIL_TYPE], detail: { state: ['error'] } },
      targets: [
        new SnsTopic(this.topic, {
          message: RuleTargetInput.fromText(
            `Introspection of node ${field('node')} ended in error on ${field('event')} (was ${field('previous_state')}) at ${field('changed_at')}: ${field('error')}`,
          ),
        }),
      ],
    });
  }
}
