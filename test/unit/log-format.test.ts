/**
 * The log formats of `LOG_FORMAT`: one short line per event (what `npm start` prints), compact or
 * pretty JSON on request, and Powertools untouched when the setting is absent (Lambda).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPowertoolsLogger, formatLine, LineLogger, logFormatFrom } from '#lib/adapters/log-format.ts';
import { loadConfig } from '#lib/config.ts';

const NODE = '1be26c0b-2f7e-4bd4-8d2f-6e1a1c6f7c1e';
let out: string[];
let err: string[];

beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const logger = (format: string) => createPowertoolsLogger({ serviceName: 'test' }, { LOG_FORMAT: format });

describe('LOG_FORMAT=line', () => {
  it('prints one short line per event: time, level, node, message', () => {
    const log = logger('line');
    log.appendKeys({ requestId: 'r-1', node: NODE });
    log.info('Introspection started');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d INFO  node=${NODE} Introspection started\\n$`));
  });

  it("puts the event's other keys after the message, quoting what is not one word", () => {
    const log = logger('line');
    log.warn('Job failed', {
      job: 'process',
      node: NODE,
      error: 'IronicError: locked',
      attempt: 2,
      ids: [1],
    });
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]?.slice(9)).toBe(
      `WARN  node=${NODE} job=process Job failed error="IronicError: locked" attempt=2 ids=[1]\n`,
    );
  });

  it('shows an error object as its name and message, on stderr', () => {
    logger('line').error('Clean-up failed', new TypeError('bad input'));
    expect(err[0]?.slice(9)).toBe('ERROR Clean-up failed error="TypeError: bad input"\n');
  });

  it('honours the log level and keeps the format in child loggers', () => {
    const log = logger('line');
    log.debug('not shown');
    log.createChild({ persistentKeys: { job: 'finish' } }).info('Finished');
    expect(out).toHaveLength(1);
    expect(out[0]?.slice(9)).toBe('INFO  job=finish Finished\n');
  });

  it('formats attributes without Lambda noise', () => {
    expect(
      formatLine({ time: '15:04:05', level: 'INFO', message: 'Done', node: 'n1', path: '/v1/x y' }),
    ).toBe('15:04:05 INFO  node=n1 Done path="/v1/x y"');
  });
});

describe('JSON on request', () => {
  it('json: Powertools keys, one object per line', () => {
    const log = logger('json');
    log.appendKeys({ node: NODE });
    log.info('Introspection started');
    expect(out).toHaveLength(1);
    expect(out[0]?.endsWith('}\n')).toBe(true);
    expect(out[0]?.trim()).not.toContain('\n');
    expect(JSON.parse(out[0] as string)).toMatchObject({
      level: 'INFO',
      message: 'Introspection started',
      service: 'test',
      node: NODE,
    });
  });

  it('pretty: the same object, indented', () => {
    logger('pretty').info('Introspection started', { node: NODE });
    expect(out[0]).toContain('\n    "message": "Introspection started",\n');
    expect(JSON.parse(out[0] as string)).toMatchObject({ node: NODE });
  });
});

describe('choosing the format', () => {
  it('leaves Powertools as it is when LOG_FORMAT is absent (Lambda)', () => {
    const log = createPowertoolsLogger({ serviceName: 'test' }, {});
    expect(log).toBeInstanceOf(Logger);
    expect(log).not.toBeInstanceOf(LineLogger);
    expect(logFormatFrom({ LOG_FORMAT: ' Line ' })).toBe('line');
    expect(logFormatFrom({ LOG_FORMAT: 'yaml' })).toBeUndefined();
  });

  it('a LOG_FORMAT that is not a format fails the configuration, naming the setting', () => {
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT/);
    expect(() => loadConfig({ LOG_FORMAT: 'line' })).not.toThrow();
  });
});
