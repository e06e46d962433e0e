/**
 * The stack's guards around the public routes, on the synthesized template: the callback allowlist
 * reaches the api function; leaving it open is a choice synth warns about; no route is open without
 * an explicit choice; the authorizer's cache time is a prop; the alarm on failed lookups.
 */
import { App, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  type ApiAuthMode,
  type ServerlessInspectorProps,
  ServerlessInspectorStack,
} from '../../infra/inspector-stack.ts';

const KEYSTONE = { keystoneAuthUrl: 'https://keystone.example.com/v3' };

function synth(props: Partial<ServerlessInspectorProps>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ServerlessInspectorStack(app, 'Inspector', {
    ironicUrl: 'https://ironic.example.com:6385',
    ...props,
  } as ServerlessInspectorProps);
  return { stack, template: Template.fromStack(stack) };
}

function functionEnv(template: Template, prefix: string): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function');
  const id = Object.keys(functions).find((k) => k.startsWith(`${prefix}Function`));
  expect(id).toBeDefined();
  return (functions[id as string]?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
}

const warnings = (stack: ServerlessInspectorStack) =>
  Annotations.fromStack(stack)
    .findWarning('*', Match.anyValue())
    .map((w) => String(w.entry.data));

describe('who may call back', () => {
  it('the allowlist reaches the api function (canonical ranges), and only the api', () => {
    const { template, stack } = synth({
      callbackAllowedCidrs: ['198.51.100.0/28', '2001:DB8:7:0::/48', '203.0.113.5'],
    });
    expect(functionEnv(template, 'Api').CALLBACK_ALLOWED_CIDRS).toBe(
      '198.51.100.0/28,2001:db8:7::/48,203.0.113.5/32',
    );
    for (const f of ['Worker', 'CleanUp'])
      expect(functionEnv(template, f).CALLBACK_ALLOWED_CIDRS).toBeUndefined();
    expect(warnings(stack).some((w) => w.includes('POST /v1/continue accepts'))).toBe(false);
  });

  it('there is no default: synth stops without the prop, with an empty list or a range that is not one', () => {
    expect(() => synth({})).toThrow('callbackAllowedCidrs is required');
    expect(() => synth({ callbackAllowedCidrs: [] })).toThrow('callbackAllowedCidrs is empty');
    expect(() => synth({ callbackAllowedCidrs: ['10.0.0.5/8'] })).toThrow(
      'callbackAllowedCidrs: "10.0.0.5/8" is not an IP address or CIDR range: host bits are set (the range is 10.0.0.0/8)',
    );
  });

  it("leaving it open ('open', or a /0) is allowed, and synth warns", () => {
    for (const open of ['open', ['0.0.0.0/0'], ['10.0.0.0/8', '::/0']] as const) {
      const { template, stack } = synth({ callbackAllowedCidrs: open });
      expect(
        warnings(stack).some((w) =>
          w.includes('POST /v1/continue accepts ramdisk callbacks from any address'),
        ),
      ).toBe(true);
      if (open === 'open') expect(functionEnv(template, 'Api').CALLBACK_ALLOWED_CIDRS).toBe('0.0.0.0/0,::/0');
    }
  });
});

describe('no route open without an explicit choice', () => {
  const modes: Array<[ApiAuthMode, Partial<ServerlessInspectorProps>]> = [
    ['iam', {}],
    ['http_basic', {}],
    ['keystone', KEYSTONE],
    ['noauth', {}],
  ];
  for (const [auth, extra] of modes) {
    it(`${auth}: every route without an authorizer is version discovery, the dashboard's static files, the guarded callback, or noauth's warned choice`, () => {
      const { template, stack } = synth({ auth, callbackAllowedCidrs: ['198.51.100.0/28'], ...extra });
      const open = Object.values(template.findResources('AWS::ApiGatewayV2::Route'))
        .filter((r) => r.Properties.AuthorizationType === 'NONE')
        .map((r) => String(r.Properties.RouteKey))
        .sort();
      const expected = [
        'GET /',
        'GET /{version}',
        'GET /dashboard/{file}', // static files holding no data (the page asks for credentials)
        'POST /v1/continue',
        ...(auth === 'noauth' ? ['$default'] : []),
      ];
      expect(open).toEqual(expected.sort());
      // The callback route goes to the api function, which holds the allowlist.
      expect(functionEnv(template, 'Api').CALLBACK_ALLOWED_CIDRS).toBe('198.51.100.0/28');
      expect(warnings(stack).some((w) => w.includes('no authentication'))).toBe(auth === 'noauth');
    });
  }
});

describe("the authorizer's cache time", () => {
  it('defaults to one minute, for API Gateway and for the container; it is a prop; more than an hour is refused', () => {
    for (const auth of ['http_basic', 'keystone'] as const) {
      const prefix = auth === 'http_basic' ? 'BasicAuthorizer' : 'KeystoneAuthorizer';
      const byDefault = synth({ auth, callbackAllowedCidrs: 'open', ...KEYSTONE }).template;
      byDefault.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 60 });
      expect(functionEnv(byDefault, prefix).AUTH_CACHE_SECONDS).toBe('60');
      const custom = synth({
        auth,
        callbackAllowedCidrs: 'open',
        authorizerCacheTtl: Duration.seconds(0),
        settings: { AUTH_FAILURES_PER_MINUTE: '5', KEYSTONE_TIMEOUT_SECONDS: '3', POWER_OFF: 'false' },
        ...KEYSTONE,
      }).template;
      custom.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
      expect(functionEnv(custom, prefix)).toMatchObject({
        AUTH_CACHE_SECONDS: '0',
        AUTH_FAILURES_PER_MINUTE: '5',
        KEYSTONE_TIMEOUT_SECONDS: '3',
      });
      expect(functionEnv(custom, prefix).POWER_OFF).toBeUndefined();
    }
    expect(() =>
      synth({ callbackAllowedCidrs: 'open', auth: 'http_basic', authorizerCacheTtl: Duration.hours(2) }),
    ).toThrow('authorizerCacheTtl must be at most one hour');
  });
});

describe('the alarm on failed lookups', () => {
  it("watches the api's LookupFailures (Powertools EMF: namespace and service dimension); the threshold is a prop", () => {
    const { template } = synth({ callbackAllowedCidrs: ['198.51.100.0/28'] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ServerlessInspector',
      MetricName: 'LookupFailures',
      Dimensions: [{ Name: 'service', Value: 'serverless-inspector' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    synth({ callbackAllowedCidrs: 'open', lookupFailureAlarmThreshold: 50 }).template.hasResourceProperties(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'LookupFailures', Threshold: 50 },
    );
    expect(() => synth({ callbackAllowedCidrs: 'open', lookupFailureAlarmThreshold: 0 })).toThrow(
      'lookupFailureAlarmThreshold must be a positive integer',
    );
  });
});

describe('the lookup that a stranger cannot steer', () => {
  it('the api requires a port MAC unless switched off, which synth warns about', () => {
    const secure = synth({ callbackAllowedCidrs: ['198.51.100.0/28'] });
    expect(functionEnv(secure.template, 'Api').LOOKUP_REQUIRE_PORT_MAC).toBe('true');
    expect(warnings(secure.stack).some((w) => w.includes('lookupRequirePortMac is false'))).toBe(false);
    const upstream = synth({ callbackAllowedCidrs: ['198.51.100.0/28'], lookupRequirePortMac: false });
    expect(functionEnv(upstream.template, 'Api').LOOKUP_REQUIRE_PORT_MAC).toBe('false');
    expect(warnings(upstream.stack).some((w) => w.includes('lookupRequirePortMac is false'))).toBe(true);
  });
});
