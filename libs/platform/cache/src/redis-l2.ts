import { type Breaker, resilient, type ResilientCall, retryDelayMs } from '@platform/resilience';
import { Redis, type RedisOptions } from 'ioredis';

/** What the cache logs with; Nest's Logger fits. */
export interface CacheLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** One key's row in L2: its stored entry (or null) and its generation ('' when it has none). */
export interface L2Row {
  payload: string | null;
  generation: string;
}

export interface L2Write {
  key: string;
  /** The generation read with the (missing) value, before loading. */
  generation: string;
  payload: string;
}

/**
 * How long a generation key lives after its last invalidation. It only has to outlive any load
 * that read it (a load longer than this could store a value that straddled an invalidation whose
 * generation key expired in between); a day is far beyond any load, and keeps Redis from
 * accumulating one key per invalidated cache key forever.
 */
export const GENERATION_TTL_MS = 24 * 3600_000;

/**
 * Compare-and-set of many entries: each value is written only if its key's generation is still
 * the one read before loading, i.e. no invalidation ran in between (the cache-aside race).
 * KEYS: value key and generation key of each entry, in pairs.
 * ARGV[1]: TTL in ms; then, for entry i, ARGV[2i] the generation read ('' for none), ARGV[2i+1] the payload.
 * Returns one 1 (stored) or 0 (generation changed: not stored) per entry.
 */
const STORE_IF_GENERATION_UNCHANGED = `
local stored = {}
for i = 1, #KEYS / 2 do
  local current = redis.call('GET', KEYS[2 * i]) or ''
  if current == ARGV[2 * i] then
    redis.call('SET', KEYS[2 * i - 1], ARGV[2 * i + 1], 'PX', ARGV[1])
    stored[i] = 1
  else
    stored[i] = 0
  end
end
return stored
`;

/**
 * Invalidation, atomically: for each key, drop the value and bump the generation (so that a load
 * in flight cannot store what it read before), then tell every instance through pub/sub.
 * KEYS: value key and generation key of each cached key, in pairs.
 * ARGV[1]: generation TTL in ms, ARGV[2]: the channel, ARGV[3]: the message.
 */
const INVALIDATE = `
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return #KEYS / 2
`;

interface CacheScripts {
  cacheStore(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
  cacheInvalidate(numKeys: number, ...args: Array<string | number>): Promise<number>;
}

export interface RedisL2Options {
  url: string;
  /** Prefix of every key and of the channel: `<namespace>:<region>:v:<key>`, `<namespace>:invalidations`. */
  namespace: string;
  /** Time limit of each Redis call. */
  timeoutMs: number;
  /** The `redis` breaker: every command goes through it. */
  breaker: Breaker;
  logger: CacheLogger;
  /** The subscription is (again) in place: messages may have been missed since the last one. */
  onSubscribed: () => void;
  /** An invalidation message, from any instance (this one included). */
  onInvalidation: (region: string, keys: string[]) => void;
}

/**
 * L2 and the invalidation channel, on two ioredis connections: one for commands, one subscribed
 * (a subscribed connection is reserved for pub/sub in RESP2, and keeping it apart keeps its
 * state, subscribed or not, readable on its own).
 *
 * Both connections fail fast while disconnected (no offline queue, no resending), so a call meets
 * an error at once and feeds the breaker instead of waiting in a queue; ioredis reconnects by
 * itself, forever, with capped, jittered delays. The subscription is not left to ioredis'
 * auto-resubscribe: it is made on every `ready`, and `onSubscribed` runs once Redis confirmed it,
 * so that L1 is cleared only when no message can be missed any more.
 */
export class RedisL2 {
  readonly channel: string;
  private readonly commands: Redis & CacheScripts;
  private readonly subscriber: Redis;
  private readonly call: ResilientCall;
  private subscribed = false;
  private closing = false;
  private commandsDown = false;
  private subscriptions = 0;

  constructor(private readonly options: RedisL2Options) {
    this.channel = `${options.namespace}:invalidations`;
    this.call = resilient('redis', { breaker: options.breaker, timeoutMs: options.timeoutMs });
    const connection: RedisOptions = {
      // A command while disconnected fails at once (into the breaker) instead of waiting in a queue.
      enableOfflineQueue: false,
      // A command in flight when the connection drops fails; it is not kept to be resent later.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      // Against a host that does not answer at all, give up each connection attempt after 2 s.
      connectTimeout: 2_000,
      // On close, how long ioredis waits for the socket to end before destroying it. Its 2 s
      // default also runs, for nothing, on a socket already gone (a refused connection), and
      // holds the process that long after shutdown.
      disconnectTimeout: 200,
      // Reconnect forever, 50 ms to ~1 s apart (full jitter): back soon after Redis is.
      retryStrategy: (attempt) => 50 + retryDelayMs(attempt, 50, 1_000),
    };
    this.commands = new Redis(options.url, { ...connection, connectionName: 'cache' }) as Redis & CacheScripts;
    this.commands.defineCommand('cacheStore', { lua: STORE_IF_GENERATION_UNCHANGED });
    this.commands.defineCommand('cacheInvalidate', { lua: INVALIDATE });
    this.subscriber = new Redis(options.url, { ...connection, connectionName: 'cache-invalidations' });

    const { logger } = options;
    const where = describe(options.url);
    this.commands.on('ready', () => {
      logger.log(this.commandsDown ? `Redis at ${where} is back: L2 in use again` : `Redis at ${where}: L1 + L2`);
      this.commandsDown = false;
    });
    this.commands.on('error', (error: Error) => {
      if (this.commandsDown || this.closing) return; // once per outage, not once per reconnection attempt
      this.commandsDown = true;
      logger.warn(`Redis at ${where} unreachable (${error.message}): reads go to the loaders until it is back`);
    });
    this.subscriber.on('error', () => undefined); // reported once, above; its state is `subscribed`
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => {
      this.subscribed = false;
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.received(message);
    });
  }

  /** Commands work and invalidation messages arrive: L1 can be trusted. */
  get consistent(): boolean {
    return (
      !this.closing && this.subscribed && this.commands.status === 'ready' && this.options.breaker.state === 'closed'
    );
  }

  get state(): 'up' | 'down' {
    const usable = !this.closing && this.subscribed && this.commands.status === 'ready';
    return usable && this.options.breaker.state !== 'open' ? 'up' : 'down';
  }

  /** The entries and generations of `keys`, in one MGET. */
  async read(region: string, keys: readonly string[]): Promise<L2Row[]> {
    const names = [
      ...keys.map((key) => this.valueKey(region, key)),
      ...keys.map((key) => this.generationKey(region, key)),
    ];
    const replies = await this.call(() => this.commands.mget(...names));
    return keys.map((_, i) => ({ payload: replies[i] ?? null, generation: replies[keys.length + i] ?? '' }));
  }

  /** Stores each entry whose generation is unchanged; true for each one stored. */
  async store(region: string, writes: readonly L2Write[], ttlMs: number): Promise<boolean[]> {
    const keys = writes.flatMap(({ key }) => [this.valueKey(region, key), this.generationKey(region, key)]);
    const args = writes.flatMap(({ generation, payload }) => [generation, payload]);
    const stored = await this.call(() => this.commands.cacheStore(keys.length, ...keys, ttlMs, ...args));
    return writes.map((_, i) => stored[i] === 1);
  }

  /** Drops the values, bumps the generations and publishes the keys, in one script. */
  async invalidate(region: string, keys: readonly string[]): Promise<void> {
    const names = keys.flatMap((key) => [this.valueKey(region, key), this.generationKey(region, key)]);
    const message = JSON.stringify({ region, keys });
    await this.call(() =>
      this.commands.cacheInvalidate(names.length, ...names, GENERATION_TTL_MS, this.channel, message),
    );
  }

  /** Resolves once both connections are usable, false if that did not happen within `timeoutMs`. */
  async whenConnected(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.subscribed && this.commands.status === 'ready')) {
      if (Date.now() > deadline || this.closing) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.subscribed = false;
    await Promise.all([this.commands, this.subscriber].map((connection) => quit(connection)));
  }

  valueKey(region: string, key: string): string {
    return `${this.options.namespace}:${region}:v:${key}`;
  }

  generationKey(region: string, key: string): string {
    return `${this.options.namespace}:${region}:g:${key}`;
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
    } catch (error) {
      // The connection dropped again before Redis confirmed: the next `ready` subscribes again.
      if (!this.closing)
        this.options.logger.warn(`Could not subscribe to ${this.channel}: ${(error as Error).message}`);
      return;
    }
    this.subscribed = true;
    if (this.subscriptions++ > 0) {
      this.options.logger.log(`Subscribed to ${this.channel} again: L1 cleared (messages may have been missed)`);
    }
    this.options.onSubscribed();
  }

  private received(message: string): void {
    let parsed: { region?: unknown; keys?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      parsed = {};
    }
    const { region, keys } = parsed;
    if (typeof region !== 'string' || !Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) {
      this.options.logger.warn(`Ignored a malformed message on ${this.channel}: ${message.slice(0, 200)}`);
      return;
    }
    this.options.onInvalidation(region, keys as string[]);
  }
}

/** QUIT when connected (replies in flight are read first), otherwise just stop reconnecting. */
async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.quit().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 1_000))),
    ]);
    clearTimeout(timer);
  }
  connection.disconnect();
}

/** host:port, never the credentials a URL may hold. */
function describe(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname}:${port || 6379}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
