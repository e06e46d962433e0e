/**
 * The whole Serverless Inspector in one stack: the node cache table, the introspection data bucket,
 * the v1 API on API Gateway (HTTP API), the api/worker/clean-up functions, the worker's queue with its
 * dead-letter queue, the clean-up schedule, alarms, the API's authentication, and the introspection
 * events (the table's stream through an EventBridge pipe onto the stack's event bus).
 *
 * Secure defaults spelled out once: on-demand billing, point-in-time recovery, deletion protection,
 * encryption everywhere, blocked public access, TLS-only bucket and queues, versioning with a lifecycle
 * for old versions, explicit log retention, least-privilege grants per function.
 *
 * @example
 * ```ts
 * new ServerlessInspectorStack(app, 'ServerlessInspector', {
 *   ironicUrl: 'https://ironic.example.com:6385',
 *   auth: 'keystone',
 *   keystoneAuthUrl: 'https://keystone.example.com/v3',
 * });
 * ```
 */
import {
  Annotations,
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpIamAuthorizer,
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { NODE_CACHE_TABLE_SCHEMA } from '../lib/adapters/dynamodb/table.ts';
import { loadConfig } from '../lib/config.ts';
import {
  type CallbackAllowedCidrs,
  callbackAllowedCidrsSetting,
  lookupFailuresAlarm,
  lookupRequirePortMacSetting,
} from './callback-access.ts';
import { type FunctionNetwork, InspectorFunction } from './inspector-function.ts';
import { IntrospectionEvents } from './introspection-events.ts';

/** How API clients authenticate, mapped to upstream's `[DEFAULT]auth_strategy`. */
export type ApiAuthMode = 'noauth' | 'http_basic' | 'keystone' | 'iam';

export interface ServerlessInspectorProps extends StackProps {
  /** Ironic's API, as the functions reach it (e.g. `https://ironic.example.com:6385`). */
  readonly ironicUrl: string;
  /**
   * API authentication: `noauth` (development only; warns at synth), `http_basic` (bcrypt htpasswd
   * entries in a Secrets Manager secret, checked by a Lambda authorizer), `keystone` (tokens
   * validated against Keystone by a Lambda authorizer), `iam` (SigV4). `GET /`, `GET /<version>` and
   * `POST /v1/continue` stay public, as upstream.
   * @default 'iam'
   */
  readonly auth?: ApiAuthMode;
  /** Keystone's v3 URL, for `auth: 'keystone'`. */
  readonly keystoneAuthUrl?: string;
  /**
   * Where ramdisk callbacks (`POST /v1/continue`) may come from: the provisioning network's egress
   * addresses, IPv4 and IPv6 CIDRs. From anywhere else the api answers 403 before any lookup.
   * `'open'` accepts every address (upstream's behaviour; synth warns). There is no default.
   */
  readonly callbackAllowedCidrs: CallbackAllowedCidrs;
  /**
   * How long API Gateway remembers an authorizer's answer per credential (also the authorizer
   * container's memory of a confirmed credential): a revoked token or removed user can keep working
   * that long (twice that for a Keystone token), and an answer given while Keystone was unreachable
   * (503) sticks as long. 0 turns caching off (an authorizer invocation per protected request).
   * @default Duration.minutes(1)
   */
  readonly authorizerCacheTtl?: Duration;
  /** Failed lookups (`LookupFailures`) in 5 minutes above which the alarm fires. @default 10 */
  readonly lookupFailureAlarmThreshold?: number;
  /**
   * `LOOKUP_REQUIRE_PORT_MAC`: a node with ports in Ironic is matched to a ramdisk callback only when
   * one reported MAC is one of its ports (its BMC address alone is not enough), and failures reported
   * by a callback not proven so cannot fail a node. `false` is upstream's behaviour (synth warns).
   * @default true
   */
  readonly lookupRequirePortMac?: boolean;
  /**
   * How the functions authenticate to Ironic.
   * @default 'none'
   */
  readonly ironicAuthType?: 'none' | 'http_basic' | 'keystone';
  /**
   * A Secrets Manager secret with the Ironic credentials document (see the README). Created empty
   * (to be filled in) when the Ironic auth needs one and none is given.
   * @default - a new secret when `ironicAuthType` is not `none`
   */
  readonly ironicCredentialsSecretArn?: string;
  /**
   * Protect the table from deletion (and keep table and bucket when the stack is deleted).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * How often the clean-up runs (upstream's `clean_up_period`, 60 s). EventBridge's smallest rate is
   * one minute.
   * @default Duration.minutes(1)
   */
  readonly cleanUpPeriod?: Duration;
  /**
   * `[DEFAULT]timeout`: how long a node may stay under introspection.
   * @default Duration.hours(1)
   */
  readonly introspectionTimeout?: Duration;
  /**
   * Run the functions in a VPC (to reach an on-premises Ironic over Direct Connect or VPN), given by
   * IDs so synth needs no lookup. The subnets need a route to DynamoDB, S3, SQS and Secrets Manager
   * (NAT or VPC endpoints).
   * @default - not in a VPC
   */
  readonly network?: NetworkAttributes;
  /** API throttling. @default 50 requests/s, bursts of 100 */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** An SNS topic (ARN) the alarms notify. @default - alarms without actions */
  readonly alarmTopicArn?: string;
  /** How many worker functions may run at once (SQS event source maximum concurrency). @default 10 */
  readonly workerConcurrency?: number;
  /** More settings for the functions (`ADD_PORTS`, `KEEP_PORTS`, `POWER_OFF`, …, see the README). */
  readonly settings?: Readonly<Record<string, string>>;
  /** The processing hooks and their options (the functions that process: api and worker). */
  readonly processing?: ProcessingProps;
  /**
   * Bundle the AWS SDK versions pinned in `package.json` (the ones the tests ran with) into every
   * function, instead of using the AWS SDK v3 the Lambda Node.js runtime ships. The runtime's SDK
   * keeps each bundle under 300 KB and its cold start shorter, but its version is whatever the
   * runtime carries that day; this prop trades size and start-up time for known versions.
   * @default false
   */
  readonly bundleAwsSdk?: boolean;
}

/** Processing hooks and the optional hooks' options (`PROCESSING_HOOKS` and friends). */
export interface ProcessingProps {
  /**
   * Hooks in order, e.g. upstream's defaults plus `extra_hardware`, `lldp_basic`,
   * `local_link_connection`, `physnet_cidr_map`, `raid_device`, `accelerators`.
   * @default upstream's default hooks
   */
  readonly hooks?: readonly string[];
  /** `physnet_cidr_map`: `CIDR:physnet` entries (`10.10.10.0/24:physnet_a`). @default none */
  readonly physnetCidrMap?: readonly string[];
  /** `extra_hardware`: drop data not in the eDeploy format. @default false */
  readonly extraHardwareStrict?: boolean;
  /** `accelerators`: the known devices (each with `vendor_id` and `device_id`). @default upstream's list */
  readonly knownAccelerators?: ReadonlyArray<Readonly<Record<string, string>>>;
}

/** The processing props as the functions' settings, checked at synth (a bad one fails the synth). */
export function processingSettings(props: ProcessingProps | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (props?.hooks !== undefined) env.PROCESSING_HOOKS = props.hooks.join(',');
  if (props?.physnetCidrMap !== undefined) env.PHYSNET_CIDR_MAP = props.physnetCidrMap.join(',');
  if (props?.extraHardwareStrict !== undefined) env.EXTRA_HARDWARE_STRICT = String(props.extraHardwareStrict);
  if (props?.knownAccelerators !== undefined) {
    env.ACCELERATORS_KNOWN_DEVICES = JSON.stringify({ pci_devices: props.knownAccelerators });
  }
  // The functions validate these at start; checking them here turns a bad value into a failed synth.
  loadConfig(env);
  return env;
}

/** The VPC placement of the functions, by IDs. */
export interface NetworkAttributes {
  readonly vpcId: string;
  readonly availabilityZones: string[];
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
}

/**
 * What every function of the stack shares: the AWS managed execution policies (logs, and ENIs in a
 * VPC) and X-Ray's resource-less permissions.
 */
function acknowledgeFunctionBasics(f: InspectorFunction): void {
  Validations.of(f).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS managed basic execution policy only lets the function write its own CloudWatch logs.',
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        'The AWS managed VPC access policy only lets the function manage its own network interfaces in the VPC.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) does not support resource-level permissions.',
    },
  );
}

/** The lease outlives every function that takes one (longest: the worker's 90 s), so holders never renew it. */
const LEASE_SECONDS = 180;
const API_TIMEOUT = Duration.seconds(29);
const WORKER_TIMEOUT = Duration.seconds(90);
const CLEAN_UP_TIMEOUT = Duration.seconds(60);

export class ServerlessInspectorStack extends Stack {
  readonly table: TableV2;
  readonly bucket: Bucket;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly httpApi: HttpApi;
  readonly api: InspectorFunction;
  readonly worker: InspectorFunction;
  readonly cleanUp: InspectorFunction;
  readonly authorizer: InspectorFunction | undefined;
  readonly events: IntrospectionEvents;

  constructor(scope: Construct, id: string, props: ServerlessInspectorProps) {
    super(scope, id, props);
    const auth = props.auth ?? 'iam';
    const protect = props.deletionProtection ?? true;
    const removal = protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // ---- storage ----------------------------------------------------------------------------------
    const schema = NODE_CACHE_TABLE_SCHEMA;
    this.table = new TableV2(this, 'NodeCache', {
      partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: schema.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: protect,
      timeToLiveAttribute: schema.timeToLiveAttribute,
      dynamoStream: StreamViewType[schema.streamViewType],
      removalPolicy: removal,
      globalSecondaryIndexes: schema.indexes.map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(index.projection === 'INCLUDE'
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.nonKeyAttributes] }
          : { projectionType: ProjectionType.ALL }),
      })),
    });

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: removal,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the introspection data bucket; logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'IntrospectionData', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'introspection-data/',
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: removal,
    });

    // ---- worker queue -----------------------------------------------------------------------------
    this.deadLetterQueue = new Queue(this, 'WorkerDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the worker queue; its messages are inspected by hand.',
    });
    this.queue = new Queue(this, 'WorkerJobs', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS's guidance: at least six times the consumer's timeout, so a slow batch is not redelivered.
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    // ---- Ironic credentials -----------------------------------------------------------------------
    const ironicAuthType = props.ironicAuthType ?? 'none';
    if (!['none', 'http_basic', 'keystone'].includes(ironicAuthType)) {
      throw new Error(`ironicAuthType must be one of none, http_basic, keystone; got ${ironicAuthType}`);
    }
    let ironicSecret: ISecret | undefined;
    if (ironicAuthType !== 'none') {
      if (props.ironicCredentialsSecretArn !== undefined) {
        ironicSecret = Secret.fromSecretCompleteArn(
          this,
          'IronicCredentials',
          props.ironicCredentialsSecretArn,
        );
      } else {
        const created = new Secret(this, 'IronicCredentials', {
          description: `Ironic credentials (${ironicAuthType}) for Serverless Inspector: fill in the JSON document`,
        });
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            "These are credentials of an external Ironic/Keystone; they are rotated there, by Ironic's operator.",
        });
        ironicSecret = created;
      }
    }

    // ---- functions --------------------------------------------------------------------------------
    const common: Record<string, string> = {
      NODE_CACHE_TABLE: this.table.tableName,
      INTROSPECTION_DATA_BUCKET: this.bucket.bucketName,
      IRONIC_URL: props.ironicUrl,
      IRONIC_AUTH_TYPE: ironicAuthType,
      INSPECTOR_TIMEOUT: String((props.introspectionTimeout ?? Duration.hours(1)).toSeconds()),
      NODE_LEASE_SECONDS: String(LEASE_SECONDS),
      NODE_LOCK_WAIT_SECONDS: '10',
      ...(ironicSecret ? { IRONIC_CREDENTIALS_SECRET_ID: ironicSecret.secretArn } : {}),
      ...props.settings,
    };
    let network: FunctionNetwork | undefined;
    if (props.network) {
      const n = props.network;
      network = {
        vpc: Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: n.vpcId, availabilityZones: n.availabilityZones }),
        vpcSubnets: {
          subnets: n.subnetIds.map((id, i) => {
            const subnet = Subnet.fromSubnetId(this, `Subnet${i}`, id);
            Annotations.of(subnet).acknowledgeWarning(
              '@aws-cdk/aws-ec2:noSubnetRouteTableId',
              'The stack only places functions in these subnets; it never reads their route tables.',
            );
            return subnet;
          }),
        },
        securityGroups: n.securityGroupIds.map((id, i) =>
          SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id),
        ),
      };
    }
    const fn = (id: string, entry: string, timeout: Duration, environment: Record<string, string>) =>
      new InspectorFunction(this, id, {
        entry,
        timeout,
        environment,
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        ...(network ? { network } : {}),
        ...(props.bundleAwsSdk ? { bundleAwsSdk: true } : {}),
      });
    // The callback (api) and reapply (worker) process introspection data.
    const processing = processingSettings(props.processing);
    this.api = fn('Api', 'functions/api.ts', API_TIMEOUT, {
      ...common,
      ...processing,
      WORKER_QUEUE_URL: this.queue.queueUrl,
      API_AUTH_STRATEGY: auth,
      CALLBACK_ALLOWED_CIDRS: callbackAllowedCidrsSetting(this, props.callbackAllowedCidrs),
      LOOKUP_REQUIRE_PORT_MAC: lookupRequirePortMacSetting(this, props.lookupRequirePortMac),
    });
    this.worker = fn('Worker', 'functions/worker.ts', WORKER_TIMEOUT, { ...common, ...processing });
    this.cleanUp = fn('CleanUp', 'functions/clean-up.ts', CLEAN_UP_TIMEOUT, common);

    // Least privilege: each function gets the calls it makes, nothing else (no Scan anywhere).
    const tableResources = [this.table.tableArn, `${this.table.tableArn}/index/*`];
    const nodeCacheRw = [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ];
    const dataObjects = this.bucket.arnForObjects('inspector_data-*');
    const grant = (target: InspectorFunction, actions: string[], resources: string[]) =>
      target.function.addToRolePolicy(new PolicyStatement({ actions, resources }));

    grant(this.api, nodeCacheRw, tableResources);
    grant(this.api, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [dataObjects]);
    // Without ListBucket S3 answers 403 instead of 404 for missing data.
    grant(this.api, ['s3:ListBucket'], [this.bucket.bucketArn]);
    grant(this.api, ['sqs:SendMessage'], [this.queue.queueArn]);

    grant(this.worker, nodeCacheRw, tableResources);
    grant(this.worker, ['s3:GetObject', 's3:PutObject'], [dataObjects]);
    grant(this.worker, ['s3:ListBucket'], [this.bucket.bucketArn]);
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, {
        // One job per invocation: a slow Ironic cannot make a batch outlive the function and send
        // finished jobs round again.
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.workerConcurrency ?? 10,
      }),
    );

    grant(
      this.cleanUp,
      [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
      tableResources,
    );
    grant(this.cleanUp, ['s3:DeleteObject'], [dataObjects]);

    // cdk-nag names wildcard findings by the resources' logical IDs.
    const logicalId = (c: Construct) => this.resolve((c.node.defaultChild as CfnElement).logicalId) as string;
    const tableId = logicalId(this.table);
    const bucketId = logicalId(this.bucket);
    for (const f of [this.api, this.worker, this.cleanUp]) {
      // grantRead also covers a secret encrypted with a customer-managed KMS key.
      ironicSecret?.grantRead(f.function);
      acknowledgeFunctionBasics(f);
      Validations.of(f).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
          reason:
            "Queries go through the node cache table's own indexes (lookup attributes, nodes by state, nodes by start); the wildcard is limited to that table's indexes.",
        },
        {
          id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/inspector_data-*]`,
          reason:
            'Introspection data objects are named per node (inspector_data-<uuid>); the wildcard is limited to those objects of this bucket.',
        },
      );
    }

    const schedule = new Rule(this, 'CleanUpSchedule', {
      description: 'Serverless Inspector clean-up: time out stale introspections, sync with Ironic',
      schedule: Schedule.rate(props.cleanUpPeriod ?? Duration.minutes(1)),
    });
    schedule.addTarget(new LambdaFunction(this.cleanUp.function, { retryAttempts: 0 }));

    // ---- API --------------------------------------------------------------------------------------
    const integration = new HttpLambdaIntegration('Api', this.api.function);
    const authorizerCacheTtl = props.authorizerCacheTtl ?? Duration.minutes(1);
    if (authorizerCacheTtl.toSeconds() > 3600) throw new Error('authorizerCacheTtl must be at most one hour');
    // The authorizers' own settings: their container cache follows API Gateway's; the rest may be set.
    const authorizerEnv: Record<string, string> = {
      AUTH_CACHE_SECONDS: String(authorizerCacheTtl.toSeconds()),
      ...Object.fromEntries(
        Object.entries(props.settings ?? {}).filter(([k]) =>
          ['AUTH_FAILURES_PER_MINUTE', 'KEYSTONE_TIMEOUT_SECONDS'].includes(k),
        ),
      ),
    };
    let authorizer: IHttpRouteAuthorizer;
    switch (auth) {
      case 'noauth':
        authorizer = new HttpNoneAuthorizer();
        Annotations.of(this).addWarningV2(
          'serverless-inspector:noauth',
          'The API has no authentication (auth: noauth): anyone who reaches it can start, abort and read introspections. Use it for development only.',
        );
        break;
      case 'iam':
        authorizer = new HttpIamAuthorizer();
        break;
      case 'http_basic': {
        const htpasswd = new Secret(this, 'ApiHtpasswd', {
          description: 'Serverless Inspector API users: htpasswd lines with bcrypt hashes (htpasswd -B)',
        });
        Validations.of(htpasswd).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'htpasswd entries are managed by the operator (htpasswd -B); there is nothing to rotate automatically.',
        });
        this.authorizer = fn('BasicAuthorizer', 'functions/authorizer-basic.ts', Duration.seconds(10), {
          HTPASSWD_SECRET_ID: htpasswd.secretArn,
          ...authorizerEnv,
        });
        grant(this.authorizer, ['secretsmanager:GetSecretValue'], [htpasswd.secretArn]);
        authorizer = new HttpLambdaAuthorizer('BasicAuth', this.authorizer.function, {
          responseTypes: [HttpLambdaResponseType.SIMPLE],
          identitySource: ['$request.header.Authorization'],
          resultsCacheTtl: authorizerCacheTtl,
        });
        break;
      }
      case 'keystone': {
        if (!props.keystoneAuthUrl) throw new Error('auth: keystone needs keystoneAuthUrl');
        // KEYSTONE_TIMEOUT_SECONDS (5 s unless set) stays inside the function's 10 s, so a slow
        // Keystone is the api's 503, not an authorizer timeout.
        this.authorizer = fn('KeystoneAuthorizer', 'functions/authorizer-keystone.ts', Duration.seconds(10), {
          KEYSTONE_AUTH_URL: props.keystoneAuthUrl,
          ...authorizerEnv,
        });
        authorizer = new HttpLambdaAuthorizer('KeystoneAuth', this.authorizer.function, {
          responseTypes: [HttpLambdaResponseType.SIMPLE],
          // The authorizer only establishes the identity (roles, scope); the api applies the policy
          // per route, so the cached answer does not depend on the route.
          identitySource: ['$request.header.X-Auth-Token'],
          resultsCacheTtl: authorizerCacheTtl,
        });
        break;
      }
      default:
        throw new Error(`auth must be one of noauth, http_basic, keystone, iam; got ${String(auth)}`);
    }
    if (this.authorizer) acknowledgeFunctionBasics(this.authorizer);

    this.httpApi = new HttpApi(this, 'InspectorApi', {
      description: "Serverless Inspector: ironic-inspector's v1 API",
      createDefaultStage: false,
      defaultIntegration: integration,
      defaultAuthorizer: authorizer,
    });
    const accessLog = new LogGroup(this, 'ApiAccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLog),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    // Public as upstream: versions, the resources of a version, and the ramdisk callback.
    const publicRoutes: Array<[HttpMethod, string]> = [
      [HttpMethod.GET, '/'],
      [HttpMethod.GET, '/{version}'],
      [HttpMethod.POST, '/v1/continue'],
      [HttpMethod.GET, '/dashboard/{file}'], // the dashboard's static files: the page asks for credentials
    ];
    for (const [method, path] of publicRoutes) {
      this.httpApi.addRoutes({ path, methods: [method], integration, authorizer: new HttpNoneAuthorizer() });
    }
    // Everything else is the `$default` route (from defaultIntegration), behind the authorizer.
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        auth === 'noauth'
          ? 'auth: noauth was chosen (development only; synth warns).'
          : "GET /, GET /{version} and POST /v1/continue are public as in ironic-inspector: version discovery, and the ramdisk callback, which has no credentials to offer. GET /dashboard/{file} serves the dashboard's static files, which hold no data (the page asks for credentials and the API applies the policy). Every other route has the authorizer.",
    });

    this.events = new IntrospectionEvents(this, 'IntrospectionEvents', {
      table: this.table,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });

    // ---- alarms -----------------------------------------------------------------------------------
    const alarms: Alarm[] = [
      new Alarm(this, 'EventDeadLettersAlarm', {
        alarmDescription: 'Introspection events the pipe could not deliver wait in its dead-letter queue',
        metric: this.events.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'DeadLettersAlarm', {
        alarmDescription: 'Worker jobs failed every delivery and wait in the dead-letter queue',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'Api5xxAlarm', {
        alarmDescription: 'The inspector API answered 5xx',
        metric: this.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      lookupFailuresAlarm(this, props.lookupFailureAlarmThreshold ?? 10),
    ];
    const functions: Array<[string, IFunction]> = [
      ['Api', this.api.function],
      ['Worker', this.worker.function],
      ['CleanUp', this.cleanUp.function],
      ...(this.authorizer ? ([['Authorizer', this.authorizer.function]] as Array<[string, IFunction]>) : []),
    ];
    for (const [name, f] of functions) {
      alarms.push(
        new Alarm(this, `${name}ErrorsAlarm`, {
          alarmDescription: `The ${name} function failed`,
          metric: f.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `${name}ThrottlesAlarm`, {
          alarmDescription: `The ${name} function was throttled`,
          metric: f.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    if (props.alarmTopicArn) {
      const topic = Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
      for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(topic));
    }

    // ---- outputs ----------------------------------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint, description: 'The inspector v1 API' });
    new CfnOutput(this, 'RamdiskCallbackUrl', {
      value: `${this.httpApi.apiEndpoint}/v1/continue`,
      description: 'ipa-inspection-callback-url for the ramdisk',
    });
    new CfnOutput(this, 'NodeCacheTable', { value: this.table.tableName });
    new CfnOutput(this, 'IntrospectionDataBucket', { value: this.bucket.bucketName });
    new CfnOutput(this, 'WorkerDeadLetterQueue', { value: this.deadLetterQueue.queueUrl });
    if (ironicSecret) new CfnOutput(this, 'IronicCredentialsSecret', { value: ironicSecret.secretArn });
    new CfnOutput(this, 'IntrospectionEventBus', {
      value: this.events.bus.eventBusName,
      description: 'Introspection State Changed events (rules go on this bus)',
    });
    new CfnOutput(this, 'IntrospectionEventBusArn', { value: this.events.bus.eventBusArn });
  }
}
