import { StatementNames } from './statement-names';

describe('StatementNames', () => {
  it('gives the same text the same name, and different texts different names', () => {
    const names = new StatementNames(10);
    const select = names.nameOf('SELECT 1 WHERE $1::int > 0');
    const update = names.nameOf('UPDATE t SET a = $1');

    expect(select).not.toBe('');
    expect(names.nameOf('SELECT 1 WHERE $1::int > 0')).toBe(select);
    expect(update).not.toBe(select);
  });

  it('leaves texts beyond the limit unnamed and keeps the names it gave', () => {
    const names = new StatementNames(2);
    const first = names.nameOf('SELECT $1::int');
    names.nameOf('SELECT $1::text');

    expect(names.nameOf('SELECT $1::uuid')).toBe('');
    expect(names.nameOf('SELECT $1::uuid')).toBe('');
    expect(names.nameOf('SELECT $1::int')).toBe(first);
    expect(names.size).toBe(2);
  });

  it('names nothing with a limit of 0 (prepared statements off)', () => {
    const names = new StatementNames(0);

    expect(names.nameOf('SELECT $1::int')).toBe('');
    expect(names.size).toBe(0);
  });
});
