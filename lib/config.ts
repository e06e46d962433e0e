/**
 * Configuration, read once from the environment and validated with zod. Each setting is written once,
 * below: where it sits in {@link InspectorConfig}, the environment variable it comes from, its type and
 * default (the zod schema), and what upstream calls it. The type is inferred from that tree; a bad
 * value fails at start with a message naming the variable.
 *
 * To add a setting: add one `setting('ENV_NAME', zodSchema)` leaf where it belongs, with a TSDoc
 * comment naming upstream's option, and a line in the README's configuration table.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env); // throws ConfigurationError('Invalid configuration: INSPECTOR_TIMEOUT: …')
 * config.processing.addPorts;              // 'pxe'
 * ```
 */
import * as z from 'zod';
import { LOG_FORMATS } from '#lib/adapters/log-format.ts';
import { CidrList, EVERYWHERE, InvalidCidr } from '#lib/domain/cidr.ts';
import { ConfigurationError } from '#lib/domain/errors.ts';
import {
  knownAcceleratorsSetting,
  OPTIONAL_HOOKS,
  physnetCidrMapSetting,
} from '#lib/processing/hooks/settings.ts';

/** One setting: the environment variable and its schema (which holds the default). */
interface Setting<T extends z.ZodType = z.ZodType> {
  readonly env: string;
  readonly schema: T;
}
type SettingTree = { readonly [key: string]: Setting | SettingTree };
/** The configuration a tree of settings gives. */
type ConfigOf<T> = T extends Setting<infer S> ? z.output<S> : { readonly [K in keyof T]: ConfigOf<T[K]> };

const setting = <T extends z.ZodType>(env: string, schema: T): Setting<T> => ({ env, schema });

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? String(fallback) : v))
    .pipe(z.coerce.number<string>().int().min(min).max(max));

/** A `true`/`false` setting, as a boolean. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

/** A comma-separated list, items trimmed, empty items dropped. */
const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    );

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

/** A comma-separated list of IPv4 and IPv6 CIDR ranges (at least one). */
const cidrs = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        const parsed = CidrList.parse(text);
        if (parsed.cidrs.length > 0) return parsed;
        ctx.addIssue({ code: 'custom', message: 'no range given' });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof InvalidCidr ? err.message : String(err) });
      }
      return z.NEVER;
    });

/** Upstream's default processing hooks, in its default order. */
export const DEFAULT_PROCESSING_HOOKS = [
  'ramdisk_error',
  'root_disk_selection',
  'scheduler',
  'validate_interfaces',
  'capabilities',
  'pci_devices',
] as const;
/** The processing hooks this inspector has (`lib/processing/hooks/`): the defaults, then the optional. */
export const PROCESSING_HOOK_NAMES = [...DEFAULT_PROCESSING_HOOKS, ...OPTIONAL_HOOKS] as const;
export type ProcessingHookName = (typeof PROCESSING_HOOK_NAMES)[number];

const settings = {
  /** The DynamoDB table of the node cache (upstream: the database). */
  nodeCacheTable: setting(
    'NODE_CACHE_TABLE',
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)')
      .default('serverless-inspector-node-cache'),
  ),
  /** The S3 bucket of introspection data (`[swift]container`). */
  introspectionDataBucket: setting(
    'INTROSPECTION_DATA_BUCKET',
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
      .default('serverless-inspector-introspection-data'),
  ),
  /** `[DEFAULT]timeout`: seconds after which an active introspection times out; ≤ 0 disables. */
  timeoutSeconds: setting('INSPECTOR_TIMEOUT', integer(3600, Number.MIN_SAFE_INTEGER, 315576000)),
  /** How long a node lease lasts (locks are leases here); longer than any holder's run. */
  leaseSeconds: setting('NODE_LEASE_SECONDS', integer(120, 1, 86400)),
  /** How long a blocking lock acquisition waits before failing with 409. */
  lockWaitSeconds: setting('NODE_LOCK_WAIT_SECONDS', integer(10, 0, 900)),
  /** `[processing]store_data`: `s3`, or `none` to store no introspection data. */
  storeData: setting('STORE_DATA', z.enum(['s3', 'none']).default('s3')),
  /** DynamoDB Local's endpoint (local stack, tests); AWS's when unset. */
  dynamoDbEndpoint: setting('DYNAMODB_ENDPOINT', z.url().optional()),
  /** s3rver's endpoint (local stack, tests); AWS's when unset. */
  s3Endpoint: setting('S3_ENDPOINT', z.url().optional()),
  region: setting('AWS_REGION', z.string().min(1).default('us-east-1')),
  ironic: {
    /** `[ironic]endpoint_override`. */
    url: setting('IRONIC_URL', z.url().default('http://127.0.0.1:6385')),
    /** `[ironic]auth_type`. */
    authType: setting('IRONIC_AUTH_TYPE', z.enum(['none', 'http_basic', 'keystone']).default('none')),
    /** The credentials document (JSON text), when given in the environment (local). */
    credentials: setting('IRONIC_CREDENTIALS', z.string().optional()),
    /** Secrets Manager secret holding the credentials document (AWS). */
    credentialsSecretId: setting('IRONIC_CREDENTIALS_SECRET_ID', z.string().optional()),
    /** Timeout of one Ironic request; at most 25 s, so that one always ends within the API's 30 s. */
    timeoutSeconds: setting('IRONIC_TIMEOUT_SECONDS', integer(10, 1, 25)),
  },
  /** `[DEFAULT]ipmi_address_fields`. */
  ipmiAddressFields: setting(
    'IPMI_ADDRESS_FIELDS',
    list('redfish_address,ilo_address,drac_host,drac_address,ibmc_address'),
  ),
  /** `[DEFAULT]can_manage_boot`. */
  canManageBoot: setting('CAN_MANAGE_BOOT', flag(true)),
  /** `[DEFAULT]auth_strategy` (plus `iam`): how the api checks callers behind API Gateway's authorizer. */
  apiAuthStrategy: setting(
    'API_AUTH_STRATEGY',
    z.enum(['noauth', 'http_basic', 'keystone', 'iam']).default('noauth'),
  ),
  /** `[DEFAULT]introspection_delay`: seconds between power actions (managed boot), across workers. */
  introspectionDelaySeconds: setting('INTROSPECTION_DELAY', integer(5, 0, 900)),
  /** `[DEFAULT]api_max_limit`. */
  apiMaxLimit: setting('API_MAX_LIMIT', integer(1000, 1, 100000)),
  /** `[DEFAULT]debug`: 500 answers carry the exception class and text. */
  debug: setting('DEBUG', flag(false)),
  /** Largest request or response body the API carries (Lambda's limit); larger is 413. */
  maxBodyBytes: setting('MAX_BODY_BYTES', integer(6_000_000, 1024, 10_485_760)),
  /**
   * Local stack only: POST each introspection event (EventBridge-shaped JSON) to this URL instead of
   * printing one line per event (in AWS the events go to the stack's EventBridge bus).
   */
  eventsUrl: setting('EVENTS_URL', z.url().optional()),
  /**
   * How logs are printed: `line` (one short line per event, `npm start`'s default), `json` or
   * `pretty`; unset in Lambda (Powertools' JSON). Read by the logger when it loads
   * (`lib/adapters/log-format.ts`); checked here so a typo fails at start.
   */
  logFormat: setting('LOG_FORMAT', z.enum(LOG_FORMATS).optional()),
  /** The worker's SQS queue (AWS); the local stack uses an in-process queue. */
  workerQueueUrl: setting('WORKER_QUEUE_URL', z.string().optional()),
  /**
   * Where ramdisk callbacks (`POST /v1/continue`) may come from (IPv4 and IPv6 CIDRs); refused elsewhere
   * before any lookup. Default: everywhere (upstream has no such check; the stack always sets it).
   */
  callbackAllowedCidrs: setting('CALLBACK_ALLOWED_CIDRS', cidrs(EVERYWHERE.join(','))),
  /** How a ramdisk callback finds its node, beyond upstream's `[processing]` options. */
  lookup: {
    /**
     * A node with ports in Ironic is found only when one reported MAC is one of its ports: its BMC
     * address alone, or another node's MACs, are not enough. `false` is upstream's behaviour (the
     * stack sets `true`).
     */
    requirePortMac: setting('LOOKUP_REQUIRE_PORT_MAC', flag(false)),
    /** Failed lookups one source address (an IPv4 address, an IPv6 /64) may cause per minute (0: no limit). */
    failuresPerMinute: setting('LOOKUP_FAILURES_PER_MINUTE', integer(20, 0, 100000)),
  },
  /** The API authorizers' bounds (`http_basic`, `keystone`). */
  auth: {
    /**
     * How long one Keystone token validation may take before the answer is 503; inside the
     * authorizer function's 10 s, so a slow Keystone is a 503, not an authorizer timeout.
     */
    keystoneTimeoutSeconds: setting('KEYSTONE_TIMEOUT_SECONDS', integer(5, 1, 8)),
    /** How long an authorizer container remembers a confirmed credential (0: it checks every time). */
    cacheSeconds: setting('AUTH_CACHE_SECONDS', integer(60, 0, 3600)),
    /** Failed checks one source address may cause per minute before its new credentials are refused unchecked (0: no limit). */
    failuresPerMinute: setting('AUTH_FAILURES_PER_MINUTE', integer(10, 0, 100000)),
  },
  /** `[processing]`, `[discovery]`, `[capabilities]` and `[pci_devices]`. */
  processing: {
    /** `[processing]processing_hooks`. */
    hooks: setting(
      'PROCESSING_HOOKS',
      list(DEFAULT_PROCESSING_HOOKS.join(',')).pipe(z.array(z.enum(PROCESSING_HOOK_NAMES))),
    ),
    /** `[processing]add_ports`. */
    addPorts: setting('ADD_PORTS', z.enum(['all', 'active', 'pxe', 'disabled']).default('pxe')),
    /** `[processing]keep_ports`. */
    keepPorts: setting('KEEP_PORTS', z.enum(['all', 'present', 'added']).default('all')),
    /** `[processing]overwrite_existing`. */
    overwriteExisting: setting('OVERWRITE_EXISTING', flag(true)),
    /** `[processing]power_off`. */
    powerOff: setting('POWER_OFF', flag(true)),
    /** `[processing]permit_active_introspection`. */
    permitActiveIntrospection: setting('PERMIT_ACTIVE_INTROSPECTION', flag(false)),
    /** `[processing]node_not_found_hook` (only `enroll`, discovery). */
    nodeNotFoundHook: setting('NODE_NOT_FOUND_HOOK', z.enum(['enroll']).optional()),
    /** `[discovery]enroll_node_driver`. */
    enrollNodeDriver: setting('ENROLL_NODE_DRIVER', z.string().min(1).default('fake-hardware')),
    /** `[processing]disk_partitioning_spacing`. */
    diskPartitioningSpacing: setting('DISK_PARTITIONING_SPACING', flag(true)),
    /** `[capabilities]boot_mode`. */
    capabilitiesBootMode: setting('CAPABILITIES_BOOT_MODE', flag(false)),
    /** `[capabilities]cpu_flags`: CPU flag → capability name (JSON). */
    cpuFlags: setting(
      'CAPABILITIES_CPU_FLAGS',
      json(
        z.record(z.string(), z.string()),
        '{"vmx":"cpu_vt","svm":"cpu_vt","aes":"cpu_aes","pse":"cpu_hugepages","pdpe1gb":"cpu_hugepages_1g","smx":"cpu_txt"}',
      ),
    ),
    /** `[pci_devices]alias`: JSON list of `{vendor_id, product_id, name}`. */
    pciAliases: setting(
      'PCI_DEVICES_ALIASES',
      json(z.array(z.object({ vendor_id: z.string(), product_id: z.string(), name: z.string() })), '[]'),
    ),
    /** `[processing]update_pxe_enabled`. */
    updatePxeEnabled: setting('UPDATE_PXE_ENABLED', flag(true)),
    /** `[extra_hardware]strict`: drop `extra_hardware` data not in the eDeploy format. */
    extraHardwareStrict: setting('EXTRA_HARDWARE_STRICT', flag(false)),
    /** `[port_physnet]cidr_map`: `CIDR:physnet,…` (split at the last `:`), for `physnet_cidr_map`. */
    physnetCidrMap: setting('PHYSNET_CIDR_MAP', physnetCidrMapSetting),
    /** `[accelerators]known_devices` (JSON `{"pci_devices": […]}`; upstream's bundled list by default). */
    knownAccelerators: setting('ACCELERATORS_KNOWN_DEVICES', knownAcceleratorsSetting),
  },
} satisfies SettingTree;

/** The validated settings (inferred from the tree above). */
export type InspectorConfig = ConfigOf<typeof settings>;
/** `[processing]`, `[discovery]`, `[capabilities]` and `[pci_devices]` settings. */
export type ProcessingConfig = InspectorConfig['processing'];

function isSetting(node: Setting | SettingTree): node is Setting {
  return typeof (node as Setting).env === 'string' && (node as Setting).schema instanceof z.ZodType;
}

/** Parse every leaf of `tree` from `env`, collecting the problems as `ENV_NAME: message`. */
function parseTree(tree: SettingTree, env: Readonly<Record<string, string>>, problems: string[]): unknown {
  const result: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(tree)) {
    if (!isSetting(node)) {
      result[key] = parseTree(node, env, problems);
      continue;
    }
    const parsed = node.schema.safeParse(env[node.env]);
    if (parsed.success) result[key] = parsed.data;
    else problems.push(...parsed.error.issues.map((issue) => `${node.env}: ${issue.message}`));
  }
  return result;
}

/**
 * Validate the settings in `env` (an empty value counts as unset).
 *
 * @throws ConfigurationError naming every bad setting
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): InspectorConfig {
  const given = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const problems: string[] = [];
  const config = parseTree(settings, given, problems) as InspectorConfig;
  if (problems.length > 0) throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  // The lease must outlast any single holder (30 s is the API's own limit behind API Gateway), and a
  // waiter gives up before one whole lease has passed.
  if (config.leaseSeconds < 30) {
    throw new ConfigurationError(
      "Invalid configuration: NODE_LEASE_SECONDS: must be at least 30 (the API's longest request)",
    );
  }
  if (config.lockWaitSeconds >= config.leaseSeconds) {
    throw new ConfigurationError(
      'Invalid configuration: NODE_LOCK_WAIT_SECONDS: must be shorter than NODE_LEASE_SECONDS',
    );
  }
  return config;
}

let cached: InspectorConfig | undefined;

/** The process's configuration, read from `process.env` on first use and kept. */
export function config(): InspectorConfig {
  cached ??= loadConfig(process.env);
  return cached;
}
