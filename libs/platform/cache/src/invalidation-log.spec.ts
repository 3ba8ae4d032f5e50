import { InvalidationLog } from './invalidation-log';

describe('InvalidationLog', () => {
  it('a token survives until its key is invalidated', () => {
    const log = new InvalidationLog(10);
    const token = log.token('a');
    log.mark('b');
    expect(log.unchanged('a', token)).toBe(true);
    log.mark('a');
    expect(log.unchanged('a', token)).toBe(false);
    expect(log.unchanged('a', log.token('a'))).toBe(true); // a token taken after the mark is good
  });

  it('stays bounded, and forgetting a key never makes a token taken before its invalidation pass', () => {
    const log = new InvalidationLog(3);
    const before = log.token('a');
    log.mark('a');
    for (const key of ['b', 'c', 'd', 'e', 'f']) log.mark(key); // 'a' is forgotten
    expect(log.size).toBe(3);
    expect(log.unchanged('a', before)).toBe(false);
  });

  it('re-marking a key moves it to the back: the least recently invalidated is forgotten first', () => {
    const log = new InvalidationLog(2);
    log.mark('a');
    log.mark('b');
    log.mark('a');
    const a = log.token('a');
    log.mark('c'); // forgets 'b', not 'a'
    expect(log.token('a')).toBe(a);
  });

  it('reset() fails every token taken so far, and later ones pass', () => {
    const log = new InvalidationLog(10);
    const tokens = ['a', 'b'].map((key) => [key, log.token(key)] as const);
    log.mark('a');
    log.reset();
    expect(tokens.map(([key, token]) => log.unchanged(key, token))).toEqual([false, false]);
    expect(log.size).toBe(0);
    expect(log.unchanged('a', log.token('a'))).toBe(true);
  });
});
