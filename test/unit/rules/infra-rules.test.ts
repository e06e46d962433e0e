/**
 * The CDK stack for rules and the optional hooks: in every auth mode the rules routes are behind the
 * authorizer (API Gateway's `$default` route) and the api applies the rules policy; the functions
 * that store and apply rules can reach the table (no Scan); the processing props reach the
 * functions that process (api and worker) and a bad one fails the synth.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type AuthStrategy, checkPolicy, isPublicRoute, type PolicyRule } from '#lib/auth/policy.ts';
import { ROUTES } from '#lib/http/routes.ts';
import {
  type ApiAuthMode,
  type ServerlessInspectorProps,
  ServerlessInspectorStack,
} from '../../../infra/inspector-stack.ts';

function synth(props: Partial<ServerlessInspectorProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ServerlessInspectorStack(app, 'Inspector', {
    ironicUrl: 'https://ironic.example.com:6385',
    callbackAllowedCidrs: ['198.51.100.0/28'],
    ...props,
  });
  return Template.fromStack(stack);
}

function functionEnv(template: Template, prefix: string): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function');
  const id = Object.keys(functions).find((k) => k.startsWith(`${prefix}Function`)) as string;
  return (functions[id]?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
}

function actionsOf(template: Template, prefix: string): string[] {
  const roles = template.findResources('AWS::IAM::Role');
  const roleId = Object.keys(roles).find((id) => id.startsWith(`${prefix}FunctionServiceRole`)) as string;
  const actions: string[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (!JSON.stringify(policy.Properties.Roles).includes(roleId)) continue;
    for (const s of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>) {
      actions.push(...(Array.isArray(s.Action) ? s.Action : [s.Action]));
    }
  }
  return actions;
}

const RULES_REQUESTS: Array<[string, string, PolicyRule]> = [
  ['GET', '/v1/rules', 'introspection:rule:get'],
  ['POST', '/v1/rules', 'introspection:rule:create'],
  ['DELETE', '/v1/rules', 'introspection:rule:delete'],
  ['GET', '/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c', 'introspection:rule:get'],
  ['DELETE', '/v1/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c', 'introspection:rule:delete'],
];

describe.each<[ApiAuthMode, string, Partial<ServerlessInspectorProps>]>([
  ['iam', 'AWS_IAM', {}],
  ['http_basic', 'CUSTOM', {}],
  ['keystone', 'CUSTOM', { keystoneAuthUrl: 'https://keystone.example.com/v3' }],
  ['noauth', 'NONE', {}],
])('auth %s: the rules routes', (auth, authorizationType, extra) => {
  const template = synth({ auth, ...extra });

  it(`reach the api through the ${authorizationType} $default route, never a public one`, () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const keys = routes.map((r) => r.RouteKey as string);
    // Only upstream's three public routes and the dashboard's files are explicit; /v1/rules… can
    // only match $default.
    expect(keys.filter((k) => k.includes('rules'))).toEqual([]);
    expect(keys.sort()).toEqual([
      '$default',
      'GET /',
      'GET /dashboard/{file}',
      'GET /{version}',
      'POST /v1/continue',
    ]);
    expect(routes.find((r) => r.RouteKey === '$default')?.AuthorizationType).toBe(authorizationType);
    for (const [method, path] of RULES_REQUESTS) expect(isPublicRoute(method, path)).toBe(false);
    expect(functionEnv(template, 'Api').API_AUTH_STRATEGY).toBe(auth);
  });

  it("and the api applies upstream's rules policy for that strategy", () => {
    const strategy = auth as AuthStrategy;
    const admin = { status: 'Confirmed' as const, roles: ['admin'], systemScopeAll: true };
    const service = { status: 'Confirmed' as const, roles: ['service'], systemScopeAll: false };
    const reader = { status: 'Confirmed' as const, roles: ['reader'], systemScopeAll: true };
    const nobody = { status: 'Invalid' as const, roles: [], systemScopeAll: false };
    for (const [, , rule] of RULES_REQUESTS) {
      expect(() => checkPolicy(strategy, rule, admin)).not.toThrow();
      expect(() => checkPolicy(strategy, rule, service)).not.toThrow();
      if (auth === 'keystone') {
        expect(() => checkPolicy(strategy, rule, reader)).toThrow('Access denied by policy');
        expect(() => checkPolicy(strategy, rule, nobody)).toThrow('Authentication required');
      } else if (auth === 'http_basic') {
        expect(() => checkPolicy(strategy, rule, reader)).not.toThrow();
        expect(() => checkPolicy(strategy, rule, nobody)).toThrow('Authentication required');
      } else {
        expect(() => checkPolicy(strategy, rule, undefined)).not.toThrow();
      }
    }
    const rulesRoutes = ROUTES.filter((r) => r.path.startsWith('/v1/rules'));
    expect(rulesRoutes.map((r) => `${r.method} ${r.path} ${r.rule}`)).toEqual([
      'GET /v1/rules introspection:rule:get',
      'POST /v1/rules introspection:rule:create',
      'DELETE /v1/rules introspection:rule:delete',
      'GET /v1/rules/{uuid} introspection:rule:get',
      'DELETE /v1/rules/{uuid} introspection:rule:delete',
    ]);
  });
});

describe('rules storage and processing settings', () => {
  it('the api (rules API, callback) and the worker (reapply) can read and write rules; no Scan', () => {
    const template = synth();
    for (const f of ['Api', 'Worker']) {
      const actions = actionsOf(template, f);
      expect(actions).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
        ]),
      );
      expect(actions).not.toContain('dynamodb:Scan');
    }
  });

  it('processing props become the settings of the api and the worker, not the clean-up', () => {
    const template = synth({
      processing: {
        hooks: [
          'ramdisk_error',
          'validate_interfaces',
          'scheduler',
          'lldp_basic',
          'local_link_connection',
          'physnet_cidr_map',
        ],
        physnetCidrMap: ['10.10.10.0/24:physnet_a', '2001:db8::/64:physnet_b'],
        extraHardwareStrict: true,
        knownAccelerators: [{ vendor_id: '10de', device_id: '20b0', type: 'GPU' }],
      },
    });
    for (const f of ['Api', 'Worker']) {
      expect(functionEnv(template, f)).toMatchObject({
        PROCESSING_HOOKS:
          'ramdisk_error,validate_interfaces,scheduler,lldp_basic,local_link_connection,physnet_cidr_map',
        PHYSNET_CIDR_MAP: '10.10.10.0/24:physnet_a,2001:db8::/64:physnet_b',
        EXTRA_HARDWARE_STRICT: 'true',
        ACCELERATORS_KNOWN_DEVICES: '{"pci_devices":[{"vendor_id":"10de","device_id":"20b0","type":"GPU"}]}',
      });
    }
    expect(functionEnv(template, 'CleanUp').PROCESSING_HOOKS).toBeUndefined();
    expect(functionEnv(synth(), 'Api').PROCESSING_HOOKS).toBeUndefined();
  });

  it.each([
    [{ hooks: ['lldp_basic', 'no_such_hook'] }, 'PROCESSING_HOOKS'],
    [{ physnetCidrMap: ['10.0.0.1/24:physnet_a'] }, 'has host bits set'],
    [{ knownAccelerators: [{ vendor_id: '10de' }] }, 'one of devices is missing vendor_id or device_id'],
  ])('a bad setting fails the synth: %j', (processing, message) => {
    expect(() => synth({ processing })).toThrow(message);
  });
});
