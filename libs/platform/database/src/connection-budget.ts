import { Pool, type PoolClient, type PoolConfig } from 'pg';

type ConnectCallback = (
  err: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * How many connections the process's pools may have at work at once, all pools together
 * (DATABASE_POOL_SIZE). The platform's pool and each module's pool take a permit for every checkout
 * and give it back on release, so that splitting the pool per module (one per role) neither
 * multiplies the queries the process runs at once nor takes from one module what another leaves
 * unused: any pool may use the whole budget while the others are idle, as with a single pool. A
 * checkout that waits longer than `timeoutMs` for a permit fails as pg's own pool does.
 */
export class ConnectionBudget {
  private inUse = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly size: number,
    private readonly timeoutMs: number,
  ) {}

  acquire(): Promise<void> {
    if (this.inUse < this.size) {
      this.inUse += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(new Error('timeout exceeded when trying to connect'));
      }, this.timeoutMs);
      timer.unref(); // as pg's own checkout timeout: a waiting checkout alone keeps no process alive
      this.waiting.push(grant);
    });
  }

  /** Hands the permit to the oldest waiter, or returns it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
    } else {
      this.inUse -= 1;
    }
  }
}

/**
 * A `pg` Pool whose every checkout holds a permit of the budget: `connect()`, and `query()`, which
 * checks a client out through `connect`. Each pool's own `max` is the budget's size, so a checkout
 * holding a permit never queues in the pool, it only waits for a new connection to open.
 */
export class BudgetedPool extends Pool {
  constructor(
    config: PoolConfig,
    private readonly budget: ConnectionBudget,
  ) {
    super({ ...config, max: budget.size });
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const checkout = this.checkout();
    if (!callback) {
      return checkout;
    }
    checkout.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  private async checkout(): Promise<PoolClient> {
    await this.budget.acquire();
    let client: PoolClient;
    try {
      client = await super.connect();
    } catch (error) {
      this.budget.release();
      throw error;
    }
    // pg sets a fresh release function on each checkout; the permit goes back with the client.
    const release = client.release;
    let released = false;
    client.release = (error?: Error | boolean) => {
      if (!released) {
        released = true;
        this.budget.release();
      }
      release(error);
    };
    return client;
  }
}
