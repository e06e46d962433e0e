/**
 * Every setting in lib/config.ts: each is read into the configuration, a bad value of each fails at
 * start naming it, and each is set by some test beyond the configuration's own (where its
 * non-default behaviour is exercised: test/unit/settings-*.test.ts, test/unit/job-queue-sqs.test.ts,
 * test/ironic/introspection-ironic.test.ts, and the older suites).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';

const root = resolve(import.meta.dirname, '../..');

/** The settings lib/config.ts reads: the environment variable of each `setting(…)` leaf of its tree. */
function settingNames(): string[] {
  const source = readFileSync(join(root, 'lib/config.ts'), 'utf8');
  const tree = source.slice(source.indexOf('const settings = {'), source.indexOf('} satisfies SettingTree;'));
  return [...tree.matchAll(/\bsetting\(\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1] as string);
}

/** Every test file under test/ (but this one and the configuration's own parsing tests). */
function testFiles(): Array<{ path: string; text: string }> {
  return ['unit', 'contract', 'integration', 'ironic', 'support']
    .flatMap((dir) =>
      readdirSync(join(root, 'test', dir), { recursive: true, encoding: 'utf8' }).map(
        (f) => `test/${dir}/${f}`,
      ),
    )
    .filter(
      (p) => p.endsWith('.ts') && !p.endsWith('/settings-config.test.ts') && !p.endsWith('/config.test.ts'),
    )
    .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

describe('every setting', () => {
  it('is set by a test other than the configuration tests', () => {
    const names = settingNames();
    expect(names).toHaveLength(46);
    const files = testFiles();
    // Set as an environment entry (`NAME: '…'`, `NAME=…`), not merely named in a title.
    const unset = names.filter(
      (name) => !files.some((f) => new RegExp(`\\b${name}\\b['"]?\\s*[:=]`).test(f.text)),
    );
    expect(unset).toEqual([]);
  });
});

describe('values read into the configuration', () => {
  it('every non-default value lands where the code reads it', () => {
    const config = loadConfig({
      IRONIC_URL: 'https://ironic.example.com:6385',
      IRONIC_AUTH_TYPE: 'keystone',
      IRONIC_CREDENTIALS: '{"auth_url": "https://keystone.example.com/v3"}',
      IRONIC_CREDENTIALS_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ironic',
      IRONIC_TIMEOUT_SECONDS: '3',
      IPMI_ADDRESS_FIELDS: ' ilo_address , ,irmc_address',
      UPDATE_PXE_ENABLED: 'false',
      CAN_MANAGE_BOOT: 'false',
      API_AUTH_STRATEGY: 'iam',
      INTROSPECTION_DELAY: '0',
      API_MAX_LIMIT: '50',
      DEBUG: 'true',
      MAX_BODY_BYTES: '2048',
      PROCESSING_HOOKS: 'scheduler, ramdisk_error, lldp_basic',
      EXTRA_HARDWARE_STRICT: 'true',
      PHYSNET_CIDR_MAP: '10.10.10.0/24:physnet_a, 2001:db8::/64:physnet_b',
      ACCELERATORS_KNOWN_DEVICES:
        '{"pci_devices": [{"vendor_id": "1002", "device_id": "0c34", "type": "GPU"}]}',
      ADD_PORTS: 'all',
      KEEP_PORTS: 'added',
      OVERWRITE_EXISTING: 'false',
      POWER_OFF: 'false',
      PERMIT_ACTIVE_INTROSPECTION: 'true',
      NODE_NOT_FOUND_HOOK: 'enroll',
      ENROLL_NODE_DRIVER: 'ipmi',
      DISK_PARTITIONING_SPACING: 'false',
      CAPABILITIES_BOOT_MODE: 'true',
      CAPABILITIES_CPU_FLAGS: '{"lm": "cpu_64bit"}',
      PCI_DEVICES_ALIASES: '[{"vendor_id": "8086", "product_id": "1572", "name": "x710"}]',
      WORKER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
      S3_ENDPOINT: 'http://127.0.0.1:4569',
      EVENTS_URL: 'http://127.0.0.1:8088/events',
      AWS_REGION: 'eu-west-1',
      CALLBACK_ALLOWED_CIDRS: '198.51.100.0/28, 2001:db8:7::/48',
      LOOKUP_REQUIRE_PORT_MAC: 'true',
      LOOKUP_FAILURES_PER_MINUTE: '0',
      KEYSTONE_TIMEOUT_SECONDS: '2',
      AUTH_CACHE_SECONDS: '0',
      AUTH_FAILURES_PER_MINUTE: '7',
    });
    expect(config.callbackAllowedCidrs.toString()).toBe('198.51.100.0/28,2001:db8:7::/48');
    expect(config).toMatchObject({
      ironic: {
        url: 'https://ironic.example.com:6385',
        authType: 'keystone',
        credentials: '{"auth_url": "https://keystone.example.com/v3"}',
        credentialsSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ironic',
        timeoutSeconds: 3,
      },
      ipmiAddressFields: ['ilo_address', 'irmc_address'],
      canManageBoot: false,
      apiAuthStrategy: 'iam',
      introspectionDelaySeconds: 0,
      apiMaxLimit: 50,
      debug: true,
      maxBodyBytes: 2048,
      workerQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
      s3Endpoint: 'http://127.0.0.1:4569',
      eventsUrl: 'http://127.0.0.1:8088/events',
      region: 'eu-west-1',
      lookup: { requirePortMac: true, failuresPerMinute: 0 },
      auth: { keystoneTimeoutSeconds: 2, cacheSeconds: 0, failuresPerMinute: 7 },
      processing: {
        hooks: ['scheduler', 'ramdisk_error', 'lldp_basic'],
        addPorts: 'all',
        keepPorts: 'added',
        overwriteExisting: false,
        powerOff: false,
        permitActiveIntrospection: true,
        nodeNotFoundHook: 'enroll',
        enrollNodeDriver: 'ipmi',
        diskPartitioningSpacing: false,
        capabilitiesBootMode: true,
        cpuFlags: { lm: 'cpu_64bit' },
        pciAliases: [{ vendor_id: '8086', product_id: '1572', name: 'x710' }],
        updatePxeEnabled: false,
        extraHardwareStrict: true,
        physnetCidrMap: [
          expect.objectContaining({ cidr: '10.10.10.0/24', physnet: 'physnet_a' }),
          expect.objectContaining({ cidr: '2001:db8::/64', physnet: 'physnet_b' }),
        ],
        knownAccelerators: [{ vendor_id: '1002', device_id: '0c34', type: 'GPU' }],
      },
    });
  });

  it.each([
    ['IRONIC_URL', 'ironic'],
    ['EVENTS_URL', 'not a url'],
    ['IRONIC_AUTH_TYPE', 'token'],
    ['IRONIC_TIMEOUT_SECONDS', '0'],
    ['UPDATE_PXE_ENABLED', 'yes'],
    ['CAN_MANAGE_BOOT', '1'],
    ['API_AUTH_STRATEGY', 'basic'],
    ['INTROSPECTION_DELAY', '-1'],
    ['API_MAX_LIMIT', '0'],
    ['LOOKUP_REQUIRE_PORT_MAC', 'yes'],
    ['LOOKUP_FAILURES_PER_MINUTE', '-1'],
    ['KEYSTONE_TIMEOUT_SECONDS', '9'],
    ['DEBUG', 'on'],
    ['MAX_BODY_BYTES', '100'],
    ['PROCESSING_HOOKS', 'scheduler,no_such_hook'],
    ['EXTRA_HARDWARE_STRICT', 'yes'],
    ['PHYSNET_CIDR_MAP', '10.10.10.0/24'],
    ['PHYSNET_CIDR_MAP', '10.10.10.1/24:physnet_a'],
    ['ACCELERATORS_KNOWN_DEVICES', '{"pci_devices": [{"vendor_id": "10de"}]}'],
    ['ACCELERATORS_KNOWN_DEVICES', 'pci_devices: []'],
    ['ADD_PORTS', 'some'],
    ['KEEP_PORTS', 'none'],
    ['OVERWRITE_EXISTING', 'no'],
    ['POWER_OFF', 'off'],
    ['PERMIT_ACTIVE_INTROSPECTION', 'y'],
    ['NODE_NOT_FOUND_HOOK', 'example'],
    ['DISK_PARTITIONING_SPACING', 'False'],
    ['CAPABILITIES_BOOT_MODE', 'TRUE'],
    ['CAPABILITIES_CPU_FLAGS', '{"vmx": true}'],
    ['CAPABILITIES_CPU_FLAGS', 'vmx:cpu_vt'],
    ['PCI_DEVICES_ALIASES', '[{"vendor_id": "8086"}]'],
    ['S3_ENDPOINT', 'not a url'],
  ])('fails at start naming %s for %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(
      new RegExp(`^Invalid configuration: ${name}(\\.\\S+)?: `),
    );
  });
});
