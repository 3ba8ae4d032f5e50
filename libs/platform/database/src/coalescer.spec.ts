import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  /** A run that waits to be let go, so that a test decides what piles up meanwhile. */
  function gatedRun() {
    const calls: number[][] = [];
    const gates: (() => void)[] = [];
    const run = async (inputs: number[]) => {
      calls.push(inputs);
      await new Promise<void>((resolve) => gates.push(resolve));
      if (inputs.includes(13)) {
        throw new Error('unlucky');
      }
      return inputs.map((input) => input * 10);
    };
    const release = async () => {
      while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
      gates.shift()!();
    };
    return { calls, run, release };
  }

  it('runs a lone input at once, and the inputs that came meanwhile together in the next run', async () => {
    const { calls, run, release } = gatedRun();
    const coalescer = new Coalescer(run, 10);
    const first = coalescer.submit(1);
    const others = [2, 3, 4].map((input) => coalescer.submit(input));
    expect(calls).toEqual([[1]]);
    await release();
    expect(await first).toBe(10);
    await release();
    expect(await Promise.all(others)).toEqual([20, 30, 40]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
  });

  it('takes at most maxInputs in one run', async () => {
    const { calls, run, release } = gatedRun();
    const coalescer = new Coalescer(run, 2);
    const all = [1, 2, 3, 4, 5].map((input) => coalescer.submit(input));
    for (let n = 0; n < 3; n += 1) await release();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(calls).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('rejects every input of a failed run, and goes on with the next', async () => {
    const { run, release } = gatedRun();
    const coalescer = new Coalescer(run, 10);
    const first = coalescer.submit(1);
    const failing = [12, 13].map((input) => coalescer.submit(input));
    const settled = Promise.allSettled(failing);
    await release();
    await first;
    await release();
    expect((await settled).map((result) => result.status)).toEqual(['rejected', 'rejected']);
    const after = coalescer.submit(5);
    await release();
    expect(await after).toBe(50);
  });
});
