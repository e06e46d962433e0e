/** Fixture: both tests pass, then the file's afterAll fails. */
import { afterAll, expect, it } from 'vitest';

afterAll(() => {
  throw new Error('could not stop what the file started');
});

it('passes', () => {
  expect(1).toBe(1);
});

it('passes too', () => {
  expect(2).toBe(2);
});
