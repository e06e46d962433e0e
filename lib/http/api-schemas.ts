/**
 * The API's schemas (zod), as the OpenAPI document names them in `#/components/schemas`, and the
 * parameters of its routes. `lib/http/api-description.ts` describes the routes with them.
 *
 * @example
 * ```ts
 * introspectionStatusSchema.parse(JSON.parse(body));
 * ```
 */
import { z } from 'zod';
import { STATES } from '#lib/domain/state-machine.ts';
import { listQuery, manageBootQuery } from '#lib/http/queries.ts';
import { MAX_API_VERSION } from '#lib/http/version.ts';
import { inventorySchema } from '#lib/processing/inventory.ts';

/** Schemas that become `#/components/schemas/<id>` in the OpenAPI document. */
export const components = z.registry<{ id: string; description?: string }>();

function component<T extends z.ZodType>(id: string, description: string, schema: T): T {
  components.add(schema, { id, description });
  return schema;
}

/** `api_max_limit`'s default, for the documented list query. */
const DEFAULT_MAX_LIMIT = 1000;

// ---- schemas ------------------------------------------------------------------------------------

const timestamp = component(
  'Timestamp',
  'Naive UTC time, ISO 8601 without an offset; microseconds only when non-zero',
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/)
    .meta({ examples: ['2026-11-25T17:38:03', '2026-11-25T17:38:03.123000'] }),
);

const nodeUuid = z.guid().meta({ description: "The node's Ironic UUID" });

export const linkSchema = component(
  'Link',
  'A link, built from the request (API Gateway stage, X-Forwarded-Proto/Host/Port/Prefix)',
  z.object({ href: z.string(), rel: z.literal('self') }),
);

export const errorSchema = component(
  'Error',
  "The inspector's error body, with upstream's message texts",
  z.object({ error: z.object({ message: z.string() }) }),
);

export const gatewayErrorSchema = component(
  'GatewayError',
  "API Gateway's own answer when a request has no credentials (401) or its authorizer refuses them (403)",
  z.object({ message: z.string() }),
);

export const versionsSchema = component(
  'Versions',
  'The API versions (only v1, current)',
  z.object({
    versions: z.array(
      z.object({ id: z.literal(MAX_API_VERSION), links: z.array(linkSchema), status: z.literal('CURRENT') }),
    ),
  }),
);

export const resourcesSchema = component(
  'Resources',
  'The resources of a version',
  z.object({ resources: z.array(z.object({ links: z.array(linkSchema), name: z.string() })) }),
);

export const introspectionStatusSchema = component(
  'IntrospectionStatus',
  "One node's introspection status",
  z.object({
    error: z.string().nullable().meta({ description: 'Why the introspection failed; null unless it did' }),
    finished: z.boolean().meta({ description: 'Whether finished_at is set' }),
    finished_at: timestamp.nullable(),
    links: z.array(linkSchema),
    started_at: timestamp.nullable(),
    state: z.enum(STATES),
    uuid: nodeUuid,
  }),
);

export const introspectionListSchema = component(
  'IntrospectionList',
  'Statuses, newest started_at first (ties: UUID descending); page with the last UUID as marker',
  z.object({ introspection: z.array(introspectionStatusSchema) }),
);

export const acceptedSchema = component(
  'Accepted',
  'The empty object every 202 answers with',
  z.object({}).strict(),
);

export const continueResultSchema = component(
  'ContinueResult',
  'The node the ramdisk data was matched to',
  z.object({ uuid: nodeUuid }),
);

export const ramdiskDataSchema = component(
  'RamdiskData',
  'What the ramdisk posts: the inventory (the fields the processing hooks read are typed; any other field is kept), and whatever its collectors add. `logs` is never stored. A body that is not an object is 400; a missing or mistyped inventory field is 400 naming the field, and the node goes to `error`.',
  z.looseObject({
    inventory: inventorySchema.optional(),
    boot_interface: z
      .string()
      .optional()
      .meta({ description: 'The PXE MAC, maybe in pxelinux form (01-aa-bb-…)' }),
    error: z
      .unknown()
      .optional()
      .meta({ description: 'An error the ramdisk reports (the node fails with it)' }),
    logs: z.string().optional().meta({ description: "The ramdisk's logs (base64 tar.gz); not stored" }),
    pci_devices: z.array(z.looseObject({ vendor_id: z.string(), product_id: z.string() })).optional(),
  }),
);

const interfaceRecord = z.object({
  ip: z.string().nullable(),
  mac: z.string(),
  client_id: z.string().nullable(),
  pxe: z.boolean(),
  lldp_processed: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "The interface's LLDP TLVs by name (the optional lldp_basic hook)" }),
});

export const processedDataSchema = component(
  'ProcessedData',
  'The ramdisk data after the processing hooks: the fields they add are typed, the rest is as the ramdisk sent it',
  z.looseObject({
    inventory: z.looseObject({}).optional(),
    all_interfaces: z.record(z.string(), interfaceRecord).optional().meta({
      description: 'Every NIC with a valid MAC, by name (validate_interfaces)',
    }),
    interfaces: z.record(z.string(), interfaceRecord).optional().meta({
      description: 'The NICs that become Ironic ports (validate_interfaces, ADD_PORTS)',
    }),
    macs: z.array(z.string()).optional(),
    ipmi_address: z.string().nullable().optional(),
    ipmi_v6address: z.string().nullable().optional(),
    root_disk: z.looseObject({ name: z.string() }).nullable().optional().meta({
      description: 'The disk chosen as root (root_disk_selection)',
    }),
    local_gb: z.number().int().optional(),
    cpus: z.number().int().optional(),
    cpu_arch: z.string().optional(),
    memory_mb: z.number().int().optional(),
  }),
);

export const unprocessedDataSchema = component(
  'UnprocessedData',
  'The ramdisk data as it was posted (without `logs`), or as a reapply body replaced it',
  z.looseObject({}),
);

export const reapplyBodySchema = component(
  'ReapplyBody',
  'Introspection data to store as the unprocessed data and reprocess (microversion 1.15); an empty object counts as no body',
  z.looseObject({}),
);

export const dashboardNodesSchema = component(
  'DashboardNodes',
  "Ironic's view of nodes the inspector knows (nodes Ironic or the node cache does not have are left out)",
  z.object({
    nodes: z.array(
      z.object({
        uuid: nodeUuid,
        name: z.string().nullable(),
        provision_state: z.string().nullable(),
        capabilities: z
          .record(z.string(), z.string())
          .meta({ description: "The node's properties.capabilities, as a map" }),
      }),
    ),
  }),
);

const mac = z.string().regex(/^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/);

export const pxeFilterSchema = component(
  'PxeFilter',
  "What dnsmasq's hosts directory holds (upstream's dnsmasq PXE filter): MACs lower case, sorted",
  z.object({
    allowed_macs: z.array(mac).meta({ description: 'MACs of nodes under introspection' }),
    denied_macs: z.array(mac).meta({ description: 'Every other MAC Ironic has a port for' }),
    unknown_macs: z.enum(['allow', 'deny']).meta({
      description: 'Any other MAC: allowed while an introspection is active or discovery is on',
    }),
  }),
);

export const openApiDocumentSchema = component(
  'OpenApiDocument',
  'This document',
  z.looseObject({
    openapi: z.literal('3.1.0'),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.looseObject({})),
  }),
);

// ---- parameters ---------------------------------------------------------------------------------

export const nodeIdParams = z.object({
  node_id: z.string().meta({
    description: 'The node: its UUID, or its Ironic name (microversion 1.5), resolved through Ironic',
  }),
});

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
const UUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

const upstreamList = listQuery(DEFAULT_MAX_LIMIT).shape;
export const listQuerySchema = z.object({
  marker: upstreamList.marker.meta({
    description:
      'The UUID of the last node of the previous page (UUID-like, else 400; an unknown one is 404)',
    pattern: UUID_LIKE.source,
  }),
  limit: upstreamList.limit.meta({
    description:
      'Page size: an integer, at most api_max_limit (API_MAX_LIMIT, default 1000); 0 or absent means api_max_limit; negative or too large is 400',
    pattern: '^\\s*[-+]?\\d+\\s*$',
    examples: ['50'],
  }),
  state: upstreamList.state.meta({
    description: `Only nodes in these states, comma-separated (microversion 1.18): ${STATES.join(', ')}; any other is 400`,
    examples: ['waiting,error'],
  }),
});

export const startQuerySchema = z.object({
  manage_boot: manageBootQuery.meta({
    description:
      'Whether the inspector sets the boot device and reboots the node (microversion 1.13; default true): 1/t/true/on/y/yes or 0/f/false/off/n/no, case-insensitive; anything else is 400',
  }),
});

/** At most this many UUIDs per dashboard names request. */
export const DASHBOARD_NODES_MAX = 100;

export const dashboardNodesQuery = z
  .object({
    uuid: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const uuids = [...new Set(value.split(',').map((u) => u.trim().toLowerCase()))];
        if (uuids.length > DASHBOARD_NODES_MAX) {
          ctx.addIssue({ code: 'custom', message: `Bad request: at most ${DASHBOARD_NODES_MAX} UUIDs` });
        } else if (!uuids.every((u) => UUID_LIKE.test(u))) {
          ctx.addIssue({ code: 'custom', message: 'Bad request: uuid must be UUIDs, comma-separated' });
        }
        return uuids;
      })
      .meta({ description: `Node UUIDs, comma-separated (at most ${DASHBOARD_NODES_MAX})` }),
    mac: z
      .string()
      .optional()
      .refine((v) => v === undefined || MAC.test(v.trim()), 'Bad request: mac must be a MAC address')
      .transform((v) => v?.trim().toLowerCase())
      .meta({ description: 'A MAC address: the nodes with an Ironic port of that address' }),
  })
  .refine((q) => (q.uuid === undefined) !== (q.mac === undefined), 'Bad request: give either uuid or mac');

export const dashboardFileParams = z.object({
  file: z.string().meta({ description: "One of the dashboard's files (`app.js`, `style.css`, …)" }),
});

export const versionParams = z.object({ version: z.string().meta({ description: 'The major version: v1' }) });

// ---- introspection rules --------------------------------------------------------------------------

const ruleCondition = z
  .looseObject({
    op: z.string().meta({ description: 'eq, ne, lt, le, gt, ge, is-empty, in-net, matches, contains' }),
    field: z.string().meta({ description: 'A JSON path into the data, or `data://…` / `node://…`' }),
    multiple: z.enum(['any', 'all', 'first']),
    invert: z.boolean(),
  })
  .meta({ description: "A condition: its operator's parameters (`value`, …) beside these keys" });

const ruleAction = z
  .looseObject({
    action: z.string().meta({
      description: 'fail, set-attribute, set-capability, extend-attribute, add-trait, remove-trait, example',
    }),
  })
  .meta({ description: 'An action: its parameters (`path`, `value`, `message`, `name`, …) beside `action`' });

const ruleFields = {
  uuid: z.string().meta({ description: "The rule's UUID, exactly as given or generated" }),
  description: z.string().nullable(),
  scope: z
    .string()
    .nullable()
    .meta({ description: 'Applied only to nodes whose properties.inspection_scope is this (1.16)' }),
  links: z.array(linkSchema),
};

export const ruleSchema = component(
  'Rule',
  'An introspection rule (keys sorted, as upstream)',
  z.object({ ...ruleFields, conditions: z.array(ruleCondition), actions: z.array(ruleAction) }),
);

export const ruleListSchema = component(
  'RuleList',
  'Every rule, in creation order (the order they are applied in)',
  z.object({ rules: z.array(z.object(ruleFields)) }),
);

export const ruleBodySchema = component(
  'NewRule',
  "A rule to create, as `openstack baremetal introspection rule import` sends it; checked in upstream's order with its messages",
  z.looseObject({
    uuid: z.string().optional(),
    description: z.string().nullable().optional(),
    scope: z.string().nullable().optional(),
    conditions: z.array(z.record(z.string(), z.unknown())).optional(),
    actions: z.array(z.record(z.string(), z.unknown())),
  }),
);

export const ruleUuidParams = z.object({
  uuid: z.string().meta({ description: "The rule's UUID, exactly as stored" }),
});
