/**
 * The process's memory of recent invalidations, so that a load which straddles one does not put
 * the value it read before it into L1 (the cache-aside race, on the in-process side).
 *
 * A reader takes `token(key)` before it reads (L2 or the loader) and stores into L1 only if
 * `unchanged(key, token)` still holds afterwards. `mark(key)` (an invalidation, local or from
 * pub/sub) gives the key a new, higher number; `reset()` (the subscription came back: messages may
 * have been missed) invalidates every token taken so far at once.
 *
 * Bounded: at most `maxKeys` keys are remembered. When the oldest is forgotten, the floor (what
 * `token` answers for a key not remembered) rises to its number, so a token taken before that
 * key's invalidation still fails the check. The price of the bound is only false alarms: when a
 * key is forgotten, loads in flight for keys that were not invalidated skip L1 once too.
 *
 * Why it is safe: a token is at most the current sequence number when taken. A later mark of the
 * key sets a number above it; after that, `token(key)` is that mark, a later one, or a floor at
 * least as high (the key forgotten, or a reset), never the token taken before.
 */
export class InvalidationLog {
  private sequence = 0;
  private floor = 0;
  private readonly marks = new Map<string, number>();

  constructor(private readonly maxKeys: number) {
    if (!(maxKeys >= 1)) throw new RangeError(`InvalidationLog: maxKeys must be >= 1, got ${maxKeys}`);
  }

  token(key: string): number {
    return this.marks.get(key) ?? this.floor;
  }

  unchanged(key: string, token: number): boolean {
    return this.token(key) === token;
  }

  mark(key: string): void {
    // Re-inserted, so the Map's insertion order is the order of last invalidation (oldest first).
    this.marks.delete(key);
    this.marks.set(key, ++this.sequence);
    if (this.marks.size > this.maxKeys) {
      const [oldestKey, oldest] = this.marks.entries().next().value as [string, number];
      this.marks.delete(oldestKey);
      this.floor = Math.max(this.floor, oldest);
    }
  }

  /** Every token taken so far fails its check. */
  reset(): void {
    this.marks.clear();
    this.floor = ++this.sequence;
  }

  /** Keys remembered (at most maxKeys). */
  get size(): number {
    return this.marks.size;
  }
}
