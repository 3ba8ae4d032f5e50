import { ConnectionBudget } from './connection-budget';

/** Lets queued continuations run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConnectionBudget', () => {
  it('grants up to `size` permits at once, then hands each returned permit to the oldest waiter', async () => {
    const budget = new ConnectionBudget(2, 1_000);
    const granted: string[] = [];
    const take = (name: string) => budget.acquire().then(() => granted.push(name));

    void take('a');
    void take('b');
    void take('c');
    void take('d');
    await settle();
    expect(granted).toEqual(['a', 'b']);

    budget.release();
    await settle();
    expect(granted).toEqual(['a', 'b', 'c']);

    budget.release();
    budget.release();
    await settle();
    expect(granted).toEqual(['a', 'b', 'c', 'd']);

    // d and one other hold permits: one more is free now.
    budget.release();
    await take('e');
    expect(granted).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('fails a checkout that waited `timeoutMs` for a permit, as pg’s pool does, and forgets it', async () => {
    jest.useFakeTimers();
    try {
      const budget = new ConnectionBudget(1, 5_000);
      await budget.acquire();
      const waiting = budget.acquire();
      jest.advanceTimersByTime(5_000);
      await expect(waiting).rejects.toThrow('timeout exceeded when trying to connect');

      // The timed-out waiter is gone: the permit returns to the budget, and the next checkout gets it at once.
      budget.release();
      await expect(budget.acquire()).resolves.toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
