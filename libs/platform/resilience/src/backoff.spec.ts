import { retryDelayMs } from './backoff';

/** A random source that always returns `value`: the delay is then `floor(value * ceiling)`. */
const always = (value: number) => () => value;
/** Just below 1, the largest value Math.random can return: the delay is then ceiling - 1. */
const highest = always(1 - Number.EPSILON);

describe('retryDelayMs (exponential backoff with full jitter)', () => {
  it('stays in [0, base) on the first attempt', () => {
    expect(retryDelayMs(1, 100, 10_000, always(0))).toBe(0);
    expect(retryDelayMs(1, 100, 10_000, highest)).toBe(99);
  });

  it('doubles the ceiling with each attempt', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, 100, 100_000, highest) + 1);
    expect(ceilings).toEqual([100, 200, 400, 800, 1_600, 3_200]);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(retryDelayMs(7, 100, 5_000, highest)).toBe(4_999); // 100 * 2^6 = 6400 > 5000
    expect(retryDelayMs(1_000, 100, 5_000, highest)).toBe(4_999); // 2^999 overflows nothing
    expect(retryDelayMs(2_000, 100, 5_000, highest)).toBe(4_999); // 2^1999 is Infinity: still the cap
  });

  it('treats attempts below 1 as the first', () => {
    expect(retryDelayMs(0, 100, 10_000, highest)).toBe(99);
    expect(retryDelayMs(-3, 100, 10_000, highest)).toBe(99);
  });

  it('is 0, never NaN, when the base or the cap is 0, however many attempts', () => {
    // 0 * 2^1999 would be 0 * Infinity = NaN without the guard.
    expect([1, 10, 1_024, 2_000].map((attempt) => retryDelayMs(attempt, 0, 5_000, highest))).toEqual([0, 0, 0, 0]);
    expect(retryDelayMs(2_000, 100, 0, highest)).toBe(0);
    expect(retryDelayMs(3, -100, 5_000, highest)).toBe(0);
    expect(retryDelayMs(3, Number.NaN, 5_000, highest)).toBe(0);
  });

  it('is full jitter: the injected random scales the whole range, from 0 to the ceiling', () => {
    // Attempt 4: ceiling min(10000, 100 * 2^3) = 800.
    expect([0, 0.25, 0.5, 0.999].map((value) => retryDelayMs(4, 100, 10_000, always(value)))).toEqual([
      0, 200, 400, 799,
    ]);
  });

  it('calls the random source once per delay', () => {
    const random = jest.fn(() => 0.5);
    retryDelayMs(3, 100, 10_000, random);
    expect(random).toHaveBeenCalledTimes(1);
  });

  it('uses Math.random by default: whole milliseconds within [0, ceiling)', () => {
    const delays = Array.from({ length: 1_000 }, () => retryDelayMs(3, 100, 10_000));
    expect(delays.every((delay) => Number.isInteger(delay) && delay >= 0 && delay < 400)).toBe(true);
    // 1000 draws over 400 values: all equal would mean no jitter at all.
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});
