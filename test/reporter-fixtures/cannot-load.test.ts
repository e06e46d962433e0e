/** Fixture: the file throws while it is loaded, before any test is collected. */
import { expect, it } from 'vitest';

throw new Error('this file cannot be loaded');

// biome-ignore lint/correctness/noUnreachable: the point of the fixture
it('is never collected', () => {
  expect(1).toBe(1);
});
