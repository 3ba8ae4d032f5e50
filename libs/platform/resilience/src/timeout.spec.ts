import { TimeoutError, withTimeout } from './timeout';

/** Never settles: a hung dependency. */
const hang = () => new Promise<never>(() => undefined);

describe('withTimeout', () => {
  it('resolves with the value of an operation that ends in time, leaving its signal alone', async () => {
    let seen: AbortSignal | undefined;
    await expect(
      withTimeout(async (signal) => {
        seen = signal;
        return 42;
      }, 1_000),
    ).resolves.toBe(42);
    expect(seen?.aborted).toBe(false);
  });

  it('rejects with TimeoutError when the time passes, and aborts the signal with that same error', async () => {
    let seen: AbortSignal | undefined;
    const started = Date.now();
    const error = await withTimeout((signal) => {
      seen = signal;
      return hang();
    }, 50).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 50, message: 'Operation timed out after 50 ms' });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(Date.now() - started).toBeLessThan(2_000); // 50 ms, with room for a loaded machine
  });

  it('names the operation in the error', async () => {
    await expect(withTimeout(hang, 10, 'payment-gateway.capture')).rejects.toThrow(
      'payment-gateway.capture timed out after 10 ms',
    );
  });

  it('rejects with the TimeoutError when the operation honours the signal (as fetch does)', async () => {
    const honouring = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    await expect(withTimeout(honouring, 20)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('passes the operation own failure through unchanged, synchronous throws included', async () => {
    const failure = new Error('refused');
    await expect(withTimeout(() => Promise.reject(failure), 1_000)).rejects.toBe(failure);
    await expect(
      withTimeout(() => {
        throw failure;
      }, 1_000),
    ).rejects.toBe(failure);
  });

  it('refuses a time limit setTimeout cannot keep', () => {
    expect(() => withTimeout(hang, 0)).toThrow(RangeError);
    expect(() => withTimeout(hang, Number.NaN)).toThrow(RangeError);
    expect(() => withTimeout(hang, 2 ** 31)).toThrow(RangeError);
  });
});
