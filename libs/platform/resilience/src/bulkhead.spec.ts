import { Bulkhead, BulkheadRejected } from './bulkhead';

/** An operation the test finishes by hand, recording when it started. */
function controllable(started: string[], name: string) {
  let finish!: () => void;
  let failWith!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    failWith = reject;
  });
  const operation = jest.fn(() => {
    started.push(name);
    return done;
  });
  return { operation, finish: () => finish(), fail: (error: Error) => failWith(error) };
}

/** Lets queued continuations run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Bulkhead', () => {
  it('runs up to `limit` at once, queues up to `queueLimit`, rejects beyond at once, runs the queue in order', async () => {
    const bulkhead = new Bulkhead(2, 2, 'gateway');
    const started: string[] = [];
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => controllable(started, name));

    const outcomes = Promise.allSettled([a, b, c, d].map((op) => bulkhead.run(op!.operation)));
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect([bulkhead.running, bulkhead.queued]).toEqual([2, 2]);

    // Full: rejected without waiting and without being called.
    const rejected = await bulkhead.run(e!.operation).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(BulkheadRejected);
    expect(rejected).toMatchObject({ limit: 2, queueLimit: 2, message: 'gateway is full: 2 running and 2 queued' });
    expect(e!.operation).not.toHaveBeenCalled();

    b!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']); // the first queued takes b's slot
    a!.fail(new Error('a failed')); // a failure frees its slot as well
    await settle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect([bulkhead.running, bulkhead.queued]).toEqual([2, 0]);

    c!.finish();
    d!.finish();
    await expect(outcomes).resolves.toEqual([
      { status: 'rejected', reason: new Error('a failed') },
      { status: 'fulfilled', value: 'b' },
      { status: 'fulfilled', value: 'c' },
      { status: 'fulfilled', value: 'd' },
    ]);
    expect([bulkhead.running, bulkhead.queued]).toEqual([0, 0]);
  });

  it('gives a freed slot to the queue before any newcomer', async () => {
    const bulkhead = new Bulkhead(1, 1);
    const started: string[] = [];
    const [first, queued, newcomer] = ['first', 'queued', 'newcomer'].map((name) => controllable(started, name));
    const runs = [bulkhead.run(first!.operation), bulkhead.run(queued!.operation)];
    first!.finish();
    await runs[0];
    // The slot went to the queued call, not back to the pool: the newcomer queues behind it.
    runs.push(bulkhead.run(newcomer!.operation));
    await settle();
    expect(started).toEqual(['first', 'queued']);
    expect([bulkhead.running, bulkhead.queued]).toEqual([1, 1]);
    queued!.finish();
    await settle();
    expect(started).toEqual(['first', 'queued', 'newcomer']);
    newcomer!.finish();
    await expect(Promise.all(runs)).resolves.toEqual(['first', 'queued', 'newcomer']);
  });

  it('with no queue, rejects as soon as the limit is reached', async () => {
    const bulkhead = new Bulkhead(1, 0);
    const started: string[] = [];
    const busy = controllable(started, 'busy');
    const run = bulkhead.run(busy.operation);
    await expect(bulkhead.run(async () => 'other')).rejects.toBeInstanceOf(BulkheadRejected);
    busy.finish();
    await expect(run).resolves.toBe('busy');
    await expect(bulkhead.run(async () => 'after')).resolves.toBe('after');
  });

  it('refuses limits that make no sense', () => {
    expect(() => new Bulkhead(0, 1)).toThrow(RangeError);
    expect(() => new Bulkhead(1, -1)).toThrow(RangeError);
    expect(() => new Bulkhead(1.5, 1)).toThrow(RangeError);
  });
});
