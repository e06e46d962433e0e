/**
 * How `npm start` ends (scripts/exit-handlers.ts), on a stand-in for `process`: every signal, an
 * uncaught exception and an unhandled rejection stop the stack once and exit; a second signal while
 * stopping exits at once. The real thing (a real `npm start` and its DynamoDB Local):
 * test/integration/npm-start.test.ts.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { describeFailure, STOP_SIGNALS, stopOnExit } from '../../scripts/exit-handlers.ts';
import { PortTaken } from '../../scripts/local-stack.ts';

function standIn() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const lines: string[] = [];
  let stops = 0;
  let finishStop: () => void = () => {};
  const proc = Object.assign(emitter, { exit: (code: number) => void exits.push(code) });
  const exit = stopOnExit(
    () => {
      stops++;
      return new Promise<void>((resolve) => {
        finishStop = resolve;
      });
    },
    { log: (line) => lines.push(line), proc },
  );
  return { proc, exits, lines, stops: () => stops, finishStop: () => finishStop(), exit };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('stopOnExit', () => {
  it.each(STOP_SIGNALS)('%s stops the stack, then exits 0', async (signal) => {
    const p = standIn();
    p.proc.emit(signal);
    await settle();
    expect([p.stops(), p.exits]).toEqual([1, []]);
    p.finishStop();
    await settle();
    expect(p.exits).toEqual([0]);
    expect(p.lines).toEqual([`${signal}: stopping…`]);
  });

  it('a second signal while stopping exits 1 at once, without a second stop', async () => {
    const p = standIn();
    p.proc.emit('SIGINT');
    p.proc.emit('SIGINT');
    await settle();
    expect([p.stops(), p.exits]).toEqual([1, [1]]);
  });

  it.each(['uncaughtException', 'unhandledRejection'])(
    '%s is printed, stops the stack and exits 1',
    async (event) => {
      const p = standIn();
      p.proc.emit(event, new Error('kaput'));
      p.finishStop();
      await settle();
      await settle();
      expect([p.stops(), p.exits]).toEqual([1, [1]]);
      expect(p.lines[0]).toMatch(/^(Uncaught exception|Unhandled rejection): Error: kaput\n/);
    },
  );

  it('a failed start exits 1 with one readable line for a taken port', async () => {
    const p = standIn();
    const done = p.exit(1, `could not start: ${describeFailure(new PortTaken(5050))}`);
    p.finishStop();
    await done;
    expect(p.exits).toEqual([1]);
    expect(p.lines).toEqual([
      'could not start: Port 5050 on 127.0.0.1 is already in use (another `npm start`?). Stop what holds it, or set PORT to another port: PORT=5051 npm start',
    ]);
  });
});
