import { describe, expect, it } from 'vitest';
import { NodeStateInvalidEvent, UndefinedStateError } from '#lib/domain/errors.ts';
import { EVENTS, nextState, STATES, TRANSITIONS } from '#lib/domain/state-machine.ts';

/** Upstream's `introspection_state.py`, verbatim: the 26 transitions (docs/design.md#state-machine). */
const UPSTREAM: ReadonlyArray<readonly [string, string, string]> = [
  ['aborting', 'abort_end', 'error'],
  ['aborting', 'timeout', 'error'],
  ['enrolling', 'error', 'error'],
  ['enrolling', 'process', 'processing'],
  ['enrolling', 'timeout', 'error'],
  ['error', 'abort', 'error'],
  ['error', 'error', 'error'],
  ['error', 'reapply', 'reapplying'],
  ['error', 'start', 'starting'],
  ['finished', 'finish', 'finished'],
  ['finished', 'reapply', 'reapplying'],
  ['finished', 'start', 'starting'],
  ['processing', 'error', 'error'],
  ['processing', 'finish', 'finished'],
  ['processing', 'timeout', 'error'],
  ['reapplying', 'error', 'error'],
  ['reapplying', 'finish', 'finished'],
  ['reapplying', 'reapply', 'reapplying'],
  ['reapplying', 'timeout', 'error'],
  ['starting', 'error', 'error'],
  ['starting', 'timeout', 'error'],
  ['starting', 'wait', 'waiting'],
  ['waiting', 'abort', 'aborting'],
  ['waiting', 'process', 'processing'],
  ['waiting', 'start', 'starting'],
  ['waiting', 'timeout', 'error'],
];
/** The two additions (docs/design.md#failures-while-waiting). */
const ADDED: ReadonlyArray<readonly [string, string, string]> = [
  ['waiting', 'error', 'error'],
  ['aborting', 'error', 'error'],
];

describe('state machine table', () => {
  it("has upstream's 8 states and 9 events", () => {
    expect(STATES).toEqual([
      'starting',
      'waiting',
      'processing',
      'finished',
      'error',
      'reapplying',
      'enrolling',
      'aborting',
    ]);
    expect([...EVENTS].sort()).toEqual(
      ['abort', 'abort_end', 'error', 'finish', 'process', 'reapply', 'start', 'timeout', 'wait'].sort(),
    );
  });

  it('holds exactly the 26 upstream transitions plus the two additions', () => {
    const rows = TRANSITIONS.map((t) => [t.source, t.event, t.target] as const);
    expect(rows).toHaveLength(28);
    expect(new Set(rows.map((r) => r.join('/')))).toEqual(
      new Set([...UPSTREAM, ...ADDED].map((r) => r.join('/'))),
    );
    expect(TRANSITIONS.filter((t) => t.origin === 'upstream')).toHaveLength(26);
  });

  const valid = new Map([...UPSTREAM, ...ADDED].map(([s, e, t]) => [`${s}/${e}`, t]));
  for (const state of STATES) {
    for (const event of EVENTS) {
      const target = valid.get(`${state}/${event}`);
      if (target !== undefined) {
        it(`${state} + ${event} -> ${target}`, () => {
          expect(nextState(state, event)).toBe(target);
        });
      } else {
        it(`${state} + ${event} is invalid with automaton's message`, () => {
          expect(() => nextState(state, event)).toThrow(NodeStateInvalidEvent);
          expect(() => nextState(state, event)).toThrow(
            `Can not transition from state '${state}' on event '${event}' (no defined transition)`,
          );
        });
      }
    }
  }

  it('refuses an undefined state with automaton text, not as an inspector error', () => {
    expect(() => nextState('bogus', 'start')).toThrow(UndefinedStateError);
    expect(() => nextState('bogus', 'start')).toThrow("Can not start from a undefined state 'bogus'");
  });

  it('has no start from the active states and no timeout from the passive ones', () => {
    for (const s of ['starting', 'processing', 'reapplying', 'enrolling', 'aborting']) {
      expect(() => nextState(s, 'start')).toThrow(NodeStateInvalidEvent);
    }
    for (const s of ['finished', 'error'])
      expect(() => nextState(s, 'timeout')).toThrow(NodeStateInvalidEvent);
  });
});
