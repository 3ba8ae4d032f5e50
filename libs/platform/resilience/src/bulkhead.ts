/** The bulkhead had no free slot and its queue was full: the call was not started. */
export class BulkheadRejected extends Error {
  constructor(
    readonly limit: number,
    readonly queueLimit: number,
    readonly bulkhead?: string,
  ) {
    super(`${bulkhead ?? 'Bulkhead'} is full: ${limit} running and ${queueLimit} queued`);
    this.name = 'BulkheadRejected';
  }
}

/**
 * At most `limit` operations at a time, up to `queueLimit` more waiting in order (FIFO); any
 * call beyond that is rejected at once with BulkheadRejected instead of waiting. It keeps one
 * slow dependency from holding every request (and socket, and bit of memory) of the process,
 * and turns overload into a fast, explicit error a caller can fall back on.
 */
export class Bulkhead {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly queueLimit: number,
    readonly name?: string,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be an integer >= 1, got ${limit}`);
    if (!Number.isInteger(queueLimit) || queueLimit < 0) {
      throw new RangeError(`queueLimit must be an integer >= 0, got ${queueLimit}`);
    }
  }

  /** Operations running now. */
  get running(): number {
    return this.active;
  }

  /** Operations waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) {
      this.active++;
    } else if (this.waiting.length < this.queueLimit) {
      // The slot is handed over by the operation that ends (see finally): `active` stays the
      // same, so a newcomer cannot take the slot ahead of those that queued first.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      throw new BulkheadRejected(this.limit, this.queueLimit, this.name);
    }
    try {
      return await operation();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
