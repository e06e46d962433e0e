/**
 * Configuration, read once from the environment and validated with zod. A bad value fails at start
 * with a message naming the setting.
 *
 * | Variable | Default | Upstream |
 * |---|---|---|
 * | `NODE_CACHE_TABLE` | `serverless-inspector-node-cache` | the database |
 * | `INTROSPECTION_DATA_BUCKET` | `serverless-inspector-introspection-data` | `[swift]container` |
 * | `INSPECTOR_TIMEOUT` | 3600 (s; ≤ 0 disables timeouts; max 315576000) | `[DEFAULT]timeout` |
 * | `NODE_LEASE_SECONDS` | 120 | (locks are leases here, decisions.md item 2) |
 * | `NODE_LOCK_WAIT_SECONDS` | 10 | (blocking lock waits are bounded here) |
 * | `STORE_DATA` | `s3` (`none` switches storing off) | `[processing]store_data` |
 * | `IRONIC_URL` | `http://127.0.0.1:6385` | `[ironic]endpoint_override` |
 * | `IRONIC_AUTH_TYPE` | `none` (`http_basic`, `keystone`) | `[ironic]auth_type` |
 * | `IRONIC_CREDENTIALS` | JSON document (local) | `[ironic]` username, password, auth_url… |
 * | `IRONIC_CREDENTIALS_SECRET_ID` | Secrets Manager secret with that document (AWS) | |
 * | `IRONIC_TIMEOUT_SECONDS` | 10 | per Ironic request |
 * | `IPMI_ADDRESS_FIELDS` | `redfish_address,ilo_address,drac_host,drac_address,ibmc_address` | `[DEFAULT]ipmi_address_fields` |
 * | `UPDATE_PXE_ENABLED` | `true` | `[processing]update_pxe_enabled` |
 * | `CAN_MANAGE_BOOT` | `true` | `[DEFAULT]can_manage_boot` |
 * | `API_AUTH_STRATEGY` | `noauth` (the stack sets it) | `[DEFAULT]auth_strategy` |
 * | `INTROSPECTION_DELAY` | 5 (s; 0 disables) | `[DEFAULT]introspection_delay` |
 * | `API_MAX_LIMIT` | 1000 | `[DEFAULT]api_max_limit` |
 * | `DEBUG` | `false` | `[DEFAULT]debug` (500 answers name the exception) |
 * | `MAX_BODY_BYTES` | 6000000 | (Lambda's payload limit; larger bodies are 413) |
 * | `PROCESSING_HOOKS` | upstream's default hooks | `[processing]processing_hooks` |
 * | `ADD_PORTS` / `KEEP_PORTS` | `pxe` / `all` | `[processing]add_ports` / `keep_ports` |
 * | `OVERWRITE_EXISTING` / `POWER_OFF` | `true` / `true` | `[processing]overwrite_existing` / `power_off` |
 * | `PERMIT_ACTIVE_INTROSPECTION` | `false` | `[processing]permit_active_introspection` |
 * | `NODE_NOT_FOUND_HOOK` / `ENROLL_NODE_DRIVER` | unset / `fake-hardware` | `[processing]node_not_found_hook`, `[discovery]enroll_node_driver` |
 * | `DISK_PARTITIONING_SPACING` | `true` | `[processing]disk_partitioning_spacing` |
 * | `CAPABILITIES_BOOT_MODE` / `CAPABILITIES_CPU_FLAGS` | `false` / upstream's map (JSON) | `[capabilities]` |
 * | `PCI_DEVICES_ALIASES` | `[]` (JSON list of {vendor_id, product_id, name}) | `[pci_devices]alias` |
 * | `CALLBACK_ALLOWED_CIDRS` | every address (the stack always sets it) | (where `/v1/continue` may be called from; IPv4 and IPv6 CIDRs) |
 * | `KEYSTONE_TIMEOUT_SECONDS` | 5 (1–8) | (the authorizer's bound on one Keystone token validation) |
 * | `AUTH_CACHE_SECONDS` | 60 (0: off) | (how long an authorizer container remembers a confirmed credential) |
 * | `AUTH_FAILURES_PER_MINUTE` | 10 (0: no limit) | (failed checks per source address before its new credentials are refused unchecked) |
 * | `WORKER_QUEUE_URL` | – (the in-process queue locally) | (the worker's SQS queue) |
 * | `DYNAMODB_ENDPOINT`, `S3_ENDPOINT` | AWS | local endpoints |
 * | `AWS_REGION` | `us-east-1` | |
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env); // throws ConfigurationError('INSPECTOR_TIMEOUT: …')
 * ```
 */
import { z } from 'zod';
import { CidrList, EVERYWHERE, InvalidCidr } from '#lib/domain/cidr.ts';
import { ConfigurationError } from '#lib/errors.ts';

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? String(fallback) : v))
    .pipe(z.coerce.number<string>().int().min(min).max(max));

const url = z.url().optional();

/** A `true`/`false` setting, as a boolean. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

/** A JSON-valued setting. */
const json = <T extends z.ZodType>(inner: T, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(inner);

const schema = z.object({
  NODE_CACHE_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)')
    .default('serverless-inspector-node-cache'),
  INTROSPECTION_DATA_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
    .default('serverless-inspector-introspection-data'),
  INSPECTOR_TIMEOUT: integer(3600, Number.MIN_SAFE_INTEGER, 315576000),
  NODE_LEASE_SECONDS: integer(120, 1, 86400),
  NODE_LOCK_WAIT_SECONDS: integer(10, 0, 900),
  STORE_DATA: z.enum(['s3', 'none']).default('s3'),
  IRONIC_URL: z.url().default('http://127.0.0.1:6385'),
  IRONIC_AUTH_TYPE: z.enum(['none', 'http_basic', 'keystone']).default('none'),
  IRONIC_CREDENTIALS: z.string().optional(),
  IRONIC_CREDENTIALS_SECRET_ID: z.string().optional(),
  IRONIC_TIMEOUT_SECONDS: integer(10, 1, 900),
  IPMI_ADDRESS_FIELDS: z
    .string()
    .default('redfish_address,ilo_address,drac_host,drac_address,ibmc_address')
    .transform((v) =>
      v
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== ''),
    ),
  UPDATE_PXE_ENABLED: flag(true),
  CAN_MANAGE_BOOT: flag(true),
  API_AUTH_STRATEGY: z.enum(['noauth', 'http_basic', 'keystone', 'iam']).default('noauth'),
  INTROSPECTION_DELAY: integer(5, 0, 900),
  API_MAX_LIMIT: integer(1000, 1, 100000),
  DEBUG: flag(false),
  MAX_BODY_BYTES: integer(6_000_000, 1024, 10_485_760),
  PROCESSING_HOOKS: z
    .string()
    .default('ramdisk_error,root_disk_selection,scheduler,validate_interfaces,capabilities,pci_devices')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
    )
    .pipe(
      z.array(
        z.enum([
          'ramdisk_error',
          'root_disk_selection',
          'scheduler',
          'validate_interfaces',
          'capabilities',
          'pci_devices',
        ]),
      ),
    ),
  ADD_PORTS: z.enum(['all', 'active', 'pxe', 'disabled']).default('pxe'),
  KEEP_PORTS: z.enum(['all', 'present', 'added']).default('all'),
  OVERWRITE_EXISTING: flag(true),
  POWER_OFF: flag(true),
  PERMIT_ACTIVE_INTROSPECTION: flag(false),
  NODE_NOT_FOUND_HOOK: z.enum(['enroll']).optional(),
  ENROLL_NODE_DRIVER: z.string().min(1).default('fake-hardware'),
  DISK_PARTITIONING_SPACING: flag(true),
  CAPABILITIES_BOOT_MODE: flag(false),
  CAPABILITIES_CPU_FLAGS: json(
    z.record(z.string(), z.string()),
    '{"vmx":"cpu_vt","svm":"cpu_vt","aes":"cpu_aes","pse":"cpu_hugepages","pdpe1gb":"cpu_hugepages_1g","smx":"cpu_txt"}',
  ),
  PCI_DEVICES_ALIASES: json(
    z.array(z.object({ vendor_id: z.string(), product_id: z.string(), name: z.string() })),
    '[]',
  ),
  CALLBACK_ALLOWED_CIDRS: z
    .string()
    .default(EVERYWHERE.join(','))
    .transform((text, ctx) => {
      try {
        const list = CidrList.parse(text);
        if (list.cidrs.length > 0) return list;
        ctx.addIssue({ code: 'custom', message: 'no range given' });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof InvalidCidr ? err.message : String(err) });
      }
      return z.NEVER;
    }),
  // Inside the authorizer function's 10 s, so a slow Keystone is a 503, not an authorizer timeout.
  KEYSTONE_TIMEOUT_SECONDS: integer(5, 1, 8),
  AUTH_CACHE_SECONDS: integer(60, 0, 3600),
  AUTH_FAILURES_PER_MINUTE: integer(10, 0, 100000),
  WORKER_QUEUE_URL: z.string().optional(),
  DYNAMODB_ENDPOINT: url,
  S3_ENDPOINT: url,
  AWS_REGION: z.string().min(1).default('us-east-1'),
});

/** The validated settings. */
export interface InspectorConfig {
  readonly nodeCacheTable: string;
  readonly introspectionDataBucket: string;
  /** Seconds after which an active introspection is timed out; ≤ 0 disables timeouts. */
  readonly timeoutSeconds: number;
  /** How long a node lease lasts; longer than the longest function timeout of any holder. */
  readonly leaseSeconds: number;
  /** How long a blocking lock acquisition waits before failing with 409. */
  readonly lockWaitSeconds: number;
  readonly storeData: 's3' | 'none';
  readonly dynamoDbEndpoint: string | undefined;
  readonly s3Endpoint: string | undefined;
  readonly region: string;
  readonly ironic: {
    readonly url: string;
    readonly authType: 'none' | 'http_basic' | 'keystone';
    /** The credentials document (JSON text), when given in the environment. */
    readonly credentials: string | undefined;
    /** Secrets Manager secret holding the credentials document (AWS). */
    readonly credentialsSecretId: string | undefined;
    readonly timeoutSeconds: number;
  };
  /** `[DEFAULT]ipmi_address_fields`. */
  readonly ipmiAddressFields: readonly string[];
  /** `[DEFAULT]can_manage_boot`. */
  readonly canManageBoot: boolean;
  /** `[DEFAULT]auth_strategy` (plus `iam`): how the api checks callers behind API Gateway's authorizer. */
  readonly apiAuthStrategy: 'noauth' | 'http_basic' | 'keystone' | 'iam';
  /** `[DEFAULT]introspection_delay`: seconds between power actions (managed boot), across workers. */
  readonly introspectionDelaySeconds: number;
  /** `[DEFAULT]api_max_limit`. */
  readonly apiMaxLimit: number;
  /** `[DEFAULT]debug`: 500 answers carry the exception class and text. */
  readonly debug: boolean;
  /** Largest request or response body the API carries (Lambda's limit); larger is 413. */
  readonly maxBodyBytes: number;
  readonly processing: ProcessingConfig;
  /** Where ramdisk callbacks (`POST /v1/continue`) may come from; refused elsewhere before any lookup. */
  readonly callbackAllowedCidrs: CidrList;
  /** The API authorizers' bounds (`http_basic`, `keystone`). */
  readonly auth: AuthConfig;
  /** The worker's SQS queue (AWS); the local stack uses an in-process queue. */
  readonly workerQueueUrl: string | undefined;
}

/** How the API authorizers bound their cost and their waits. */
export interface AuthConfig {
  /** How long one Keystone token validation may take before the answer is 503. */
  readonly keystoneTimeoutSeconds: number;
  /** How long an authorizer container remembers a confirmed credential (0: it checks every time). */
  readonly cacheSeconds: number;
  /** Failed checks one source address may cause per minute; past it, new credentials are refused unchecked (0: no limit). */
  readonly failuresPerMinute: number;
}

/** `[processing]`, `[discovery]`, `[capabilities]` and `[pci_devices]` settings. */
export interface ProcessingConfig {
  readonly hooks: readonly ProcessingHookName[];
  readonly addPorts: 'all' | 'active' | 'pxe' | 'disabled';
  readonly keepPorts: 'all' | 'present' | 'added';
  readonly overwriteExisting: boolean;
  readonly powerOff: boolean;
  readonly permitActiveIntrospection: boolean;
  readonly nodeNotFoundHook: 'enroll' | undefined;
  readonly enrollNodeDriver: string;
  readonly diskPartitioningSpacing: boolean;
  readonly capabilitiesBootMode: boolean;
  readonly cpuFlags: Readonly<Record<string, string>>;
  readonly pciAliases: ReadonlyArray<{ vendor_id: string; product_id: string; name: string }>;
  readonly updatePxeEnabled: boolean;
}

export type ProcessingHookName =
  | 'ramdisk_error'
  | 'root_disk_selection'
  | 'scheduler'
  | 'validate_interfaces'
  | 'capabilities'
  | 'pci_devices';

/**
 * Validate the settings in `env`.
 *
 * @throws ConfigurationError naming every bad setting
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): InspectorConfig {
  const nonEmpty = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(nonEmpty);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  // A waiter must be able to outwait one holder's whole lease only if the lease is short; the lease
  // itself must outlast any single holder (30 s is the API's own limit behind API Gateway).
  if (c.NODE_LEASE_SECONDS < 30) {
    throw new ConfigurationError(
      "Invalid configuration: NODE_LEASE_SECONDS: must be at least 30 (the API's longest request)",
    );
  }
  if (c.NODE_LOCK_WAIT_SECONDS >= c.NODE_LEASE_SECONDS) {
    throw new ConfigurationError(
      'Invalid configuration: NODE_LOCK_WAIT_SECONDS: must be shorter than NODE_LEASE_SECONDS',
    );
  }
  return {
    nodeCacheTable: c.NODE_CACHE_TABLE,
    introspectionDataBucket: c.INTROSPECTION_DATA_BUCKET,
    timeoutSeconds: c.INSPECTOR_TIMEOUT,
    leaseSeconds: c.NODE_LEASE_SECONDS,
    lockWaitSeconds: c.NODE_LOCK_WAIT_SECONDS,
    storeData: c.STORE_DATA,
    dynamoDbEndpoint: c.DYNAMODB_ENDPOINT,
    s3Endpoint: c.S3_ENDPOINT,
    region: c.AWS_REGION,
    ironic: {
      url: c.IRONIC_URL,
      authType: c.IRONIC_AUTH_TYPE,
      credentials: c.IRONIC_CREDENTIALS,
      credentialsSecretId: c.IRONIC_CREDENTIALS_SECRET_ID,
      timeoutSeconds: c.IRONIC_TIMEOUT_SECONDS,
    },
    ipmiAddressFields: c.IPMI_ADDRESS_FIELDS,
    canManageBoot: c.CAN_MANAGE_BOOT,
    apiAuthStrategy: c.API_AUTH_STRATEGY,
    introspectionDelaySeconds: c.INTROSPECTION_DELAY,
    apiMaxLimit: c.API_MAX_LIMIT,
    debug: c.DEBUG,
    maxBodyBytes: c.MAX_BODY_BYTES,
    workerQueueUrl: c.WORKER_QUEUE_URL,
    callbackAllowedCidrs: c.CALLBACK_ALLOWED_CIDRS,
    auth: {
      keystoneTimeoutSeconds: c.KEYSTONE_TIMEOUT_SECONDS,
      cacheSeconds: c.AUTH_CACHE_SECONDS,
      failuresPerMinute: c.AUTH_FAILURES_PER_MINUTE,
    },
    processing: {
      hooks: c.PROCESSING_HOOKS,
      addPorts: c.ADD_PORTS,
      keepPorts: c.KEEP_PORTS,
      overwriteExisting: c.OVERWRITE_EXISTING,
      powerOff: c.POWER_OFF,
      permitActiveIntrospection: c.PERMIT_ACTIVE_INTROSPECTION,
      nodeNotFoundHook: c.NODE_NOT_FOUND_HOOK,
      enrollNodeDriver: c.ENROLL_NODE_DRIVER,
      diskPartitioningSpacing: c.DISK_PARTITIONING_SPACING,
      capabilitiesBootMode: c.CAPABILITIES_BOOT_MODE,
      cpuFlags: c.CAPABILITIES_CPU_FLAGS,
      pciAliases: c.PCI_DEVICES_ALIASES,
      updatePxeEnabled: c.UPDATE_PXE_ENABLED,
    },
  };
}

let cached: InspectorConfig | undefined;

/** The process's configuration, read from `process.env` on first use and kept. */
export function config(): InspectorConfig {
  cached ??= loadConfig(process.env);
  return cached;
}
