/**
 * One construct for every function of the stack: Node.js 24 on ARM64, an ESM bundle with its
 * chunks built by the local esbuild (no Docker; options in `infra/bundling.ts`; the Lambda runtime's
 * AWS SDK unless `bundleAwsSdk`), source maps, a log group with explicit retention, and the settings
 * every handler reads. Grants are added per function by the stack, least privilege.
 *
 * @example
 * ```ts
 * const worker = new InspectorFunction(this, 'Worker', { entry: 'functions/worker.ts', timeout: Duration.seconds(60) });
 * table.grantReadWriteData(worker.function);
 * ```
 */
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LocalFunctionBundling, PROJECT_ROOT } from './bundling.ts';

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
  /**
   * Bundle the AWS SDK versions pinned in `package.json` instead of using the Lambda runtime's.
   * @default false
   */
  readonly bundleAwsSdk?: boolean;
}

export class InspectorFunction extends Construct {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: InspectorFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new LambdaFunction(this, 'Function', {
      // The bundle with its chunks (infra/bundling.ts), hashed by what was built.
      code: Code.fromAsset(PROJECT_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: the local esbuild always bundles (tryBundle answers true or throws).
          image: DockerImage.fromRegistry('dummy'),
          local: new LocalFunctionBundling(props.entry, props.bundleAwsSdk ?? false),
        },
      }),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'serverless-inspector',
        POWERTOOLS_METRICS_NAMESPACE: 'ServerlessInspector',
        ...props.environment,
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
