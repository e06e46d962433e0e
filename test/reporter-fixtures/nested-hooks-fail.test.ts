/** Fixture: a describe's beforeAll fails (its test is skipped); another's beforeEach fails its test. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

describe('needs a table', () => {
  beforeAll(() => {
    throw new Error('no table');
  });
  it('would pass', () => {
    expect(1).toBe(1);
  });
});

describe('needs a clock', () => {
  beforeEach(() => {
    throw new Error('no clock');
  });
  it('would pass', () => {
    expect(1).toBe(1);
  });
});

it('passes', () => {
  expect(1).toBe(1);
});
