import { DEFAULT_BACKOFF, fullJitterDelayMs } from '../../../lib/aws/backoff';

describe('fullJitterDelayMs', () => {
  test('is uniform in [0, min(cap, base × 2^retry))', () => {
    const options = { baseMs: 100, capMs: 1_000 };
    expect(fullJitterDelayMs(0, options, () => 0)).toBe(0);
    expect(fullJitterDelayMs(0, options, () => 0.999999)).toBe(99);
    expect(fullJitterDelayMs(2, options, () => 0.5)).toBe(200);
    expect(fullJitterDelayMs(3, options, () => 0.999999)).toBe(799);
    // Capped from the fourth retry on.
    expect(fullJitterDelayMs(4, options, () => 0.999999)).toBe(999);
    expect(fullJitterDelayMs(30, options, () => 0.5)).toBe(500);
  });

  test('defaults: 50 ms base, 5 s cap', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 50, capMs: 5_000 });
    for (let retry = 0; retry < 12; retry++) {
      const delay = fullJitterDelayMs(retry);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(5_000, 50 * 2 ** retry));
    }
  });
});
