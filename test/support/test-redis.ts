import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from './app-process';
import { waitFor } from './wait-for';

/**
 * The shared Redis of the development machine (`.ci/run` starts it too). Tests never reconfigure
 * or stop it: they work under a namespace of their own (`uniqueNamespace()`) and delete its keys
 * afterwards (`deleteNamespace`). A test that needs Redis to go away starts its own server.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other run or suite uses: `cache-test-<random>`. */
export function uniqueNamespace(): string {
  return `cache-test-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key under `namespace` on the shared Redis. */
export async function deleteNamespace(namespace: string, url = TEST_REDIS_URL): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}

export interface OwnRedisServer {
  url: string;
  port: number;
  /** Kills the server at once (SIGKILL: a crash, nothing flushed, connections reset). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a Redis that
   * is overloaded or stuck behind a slow command. `resume()` (SIGCONT) lets it answer everything
   * it received meanwhile.
   */
  pause(): void;
  resume(): void;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A redis-server of the test's own on a free loopback port, without persistence, so the test can
 * stop it without touching the shared one. Stopped by `kill()`, or at the end of the suite.
 */
export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    running.add(started);
    started.once('exit', () => running.delete(started));
    child = started;
    await waitFor(() => ping(port), 10_000);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: async () => {
      const stopping = child;
      // A process killed by a signal has a signalCode and no exitCode: both mean it is gone already.
      if (!stopping || stopping.exitCode !== null || stopping.signalCode !== null) return;
      const exited = new Promise((resolve) => stopping.once('exit', resolve));
      stopping.kill('SIGKILL');
      await exited;
    },
    restart: start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
