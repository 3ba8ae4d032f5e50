/**
 * Names for server-side prepared statements, one per distinct SQL text. A named statement is
 * parsed, analysed and (once PostgreSQL settles on a generic plan) planned once per connection
 * instead of at every execution: on the saga's statements that was about a third of the
 * database's CPU per order (docs/adr/0019-prepared-statements.md).
 *
 * The first `limit` distinct texts get a name; any later one runs unnamed, as every statement did
 * before, so that texts that vary (a list of values written into the SQL) cannot fill the
 * connections' memory with statements that are never used again. A name is never reused for
 * another text: node-postgres refuses that, and the server would run the wrong statement.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly limit: number) {}

  /** The statement's name, or '' (unnamed: parsed at each execution). */
  nameOf(sql: string): string {
    const known = this.names.get(sql);
    if (known !== undefined || this.names.size >= this.limit) {
      return known ?? '';
    }
    const name = `nm_${this.names.size}`;
    this.names.set(sql, name);
    return name;
  }

  /** How many texts have a name. */
  get size(): number {
    return this.names.size;
  }
}
