/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * a random delay between 0 and min(cap, base * 2^(attempt-1)). Spreads retries of many clients
 * so that they do not come back in waves.
 *
 * `attempt` is the attempt that just failed (1 for the first). A base of 0 (or less) means no
 * delay at all: without the guard, 0 * 2^1024 is 0 * Infinity, which is NaN, and a NaN delay
 * fires at once in setTimeout but poisons any sum or comparison made with it.
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  if (!(baseMs > 0) || !(capMs > 0)) return 0;
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
