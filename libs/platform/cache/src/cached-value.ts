/**
 * One cached value and when it was loaded from the source: `loadedAt` (ms since the epoch, the
 * loading instance's clock) is what staleness is measured from, whichever layer holds the entry.
 *
 * `value` is the JSON round trip of what the loader returned, deep-frozen: every layer and every
 * mode returns the same shape (a Date becomes its ISO string in L1 exactly as it does through
 * Redis), and a caller that mutates a cached object fails at once (TypeError in strict code)
 * instead of silently changing what every later reader gets.
 */
export interface CachedValue {
  readonly value: unknown;
  readonly loadedAt: number;
}

/** What L2 stores: `{"t":loadedAt,"v":value}`, one JSON string. */
export function encode(
  value: unknown,
  loadedAt: number,
  describe: () => string,
): { entry: CachedValue; payload: string } {
  const json = JSON.stringify(value);
  if (json === undefined) {
    throw new TypeError(`${describe()}: the loaded value is not JSON-serialisable (got ${typeof value})`);
  }
  return { entry: { value: deepFreeze(JSON.parse(json)), loadedAt }, payload: `{"t":${loadedAt},"v":${json}}` };
}

/** The entry stored in L2, or undefined for anything else (treated as a miss, then overwritten). */
export function decode(payload: string): CachedValue | undefined {
  try {
    const parsed = JSON.parse(payload) as { t?: unknown; v?: unknown } | null;
    if (parsed === null || typeof parsed !== 'object' || typeof parsed.t !== 'number' || !('v' in parsed)) {
      return undefined;
    }
    return { value: deepFreeze(parsed.v), loadedAt: parsed.t };
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
