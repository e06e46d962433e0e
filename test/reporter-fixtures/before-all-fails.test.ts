/** Fixture: the file's beforeAll fails, so vitest skips its two tests. */
import { beforeAll, expect, it } from 'vitest';

beforeAll(() => {
  throw new Error('the service this file needs did not start');
});

it('would pass', () => {
  expect(1).toBe(1);
});

it('would pass too', () => {
  expect(2).toBe(2);
});
