/**
 * One construct for every function of the stack: Node.js 24 on ARM64, an ESM bundle built by the
 * local esbuild (no Docker), source maps, a log group with explicit retention, and the settings every
 * handler reads. Grants are added per function by the stack, least privilege.
 *
 * @example
 * ```ts
 * const worker = new InspectorFunction(this, 'Worker', { entry: 'functions/worker.ts', timeout: Duration.seconds(60) });
 * table.grantReadWriteData(worker.function);
 * ```
 */
import { resolve } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const root = resolve(import.meta.dirname, '..');

/** Where a function runs on the network (to reach an on-premises Ironic). */
export interface FunctionNetwork {
  readonly vpc: IVpc;
  readonly vpcSubnets?: SubnetSelection;
  readonly securityGroups?: ISecurityGroup[];
}

export interface InspectorFunctionProps {
  /** The handler file, relative to the project root (`functions/…`). */
  readonly entry: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default - not in a VPC */
  readonly network?: FunctionNetwork;
}

export class InspectorFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: InspectorFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(root, props.entry),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      projectRoot: root,
      depsLockFilePath: resolve(root, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'serverless-inspector',
        POWERTOOLS_METRICS_NAMESPACE: 'ServerlessInspector',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        sourceMap: true,
        minify: true,
        forceDockerBundling: false,
        // The SDK versions the tests ran with, not whatever the Lambda runtime ships.
        bundleAwsSDK: true,
        // CommonJS dependencies inside an ESM bundle still call require().
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        mainFields: ['module', 'main'],
      },
      ...(props.network
        ? {
            vpc: props.network.vpc,
            ...(props.network.vpcSubnets ? { vpcSubnets: props.network.vpcSubnets } : {}),
            ...(props.network.securityGroups ? { securityGroups: props.network.securityGroups } : {}),
          }
        : {}),
    });
  }
}
