import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './free-port';
import { testIssuer } from './test-issuer';

export { freePort };

const ROOT = path.resolve(__dirname, '../..');

// A test that starts an app as a process waits for it to compile on the fly, boot and migrate:
// seconds alone, several times that on a machine busy with other suites. Every file importing this
// one gets the longer limit, for its tests and hooks.
jest.setTimeout(90_000);

/** Children still running; a failed test must not leave one behind (it would hold the port and the database). */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) {
    child.kill('SIGKILL');
  }
});

export interface AppProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout, line by line. */
  stdout: string[];
  stderr: string[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Runs an app's main.ts as its own process (compiled on the fly by @swc-node/register), with
 * only the environment given: what `npm start` does, without the build step. For tests of
 * process-level behaviour: startup, signals, the embedded database.
 */
export function spawnApp(
  app: 'api' | 'worker' | 'migrate',
  env: Record<string, string>,
  args: readonly string[] = [],
): AppProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${app}/src/main.ts`, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (into: string[]) => {
    let pending = '';
    return (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      into.push(...lines);
    };
  };
  child.stdout.on('data', collect(stdout));
  child.stderr.on('data', collect(stderr));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  running.add(child);
  void exited.then(() => running.delete(child));
  return {
    url: `http://127.0.0.1:${env.PORT ?? '3000'}`,
    child,
    stdout,
    stderr,
    exited,
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * Starts the api and waits until it answers /health/live. On PostgreSQL it trusts the test issuer
 * (test/support/test-issuer.ts) unless `env` names an issuer; embedded, it runs its development issuer.
 */
export async function startApiProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<AppProcess> {
  const port = String(await freePort());
  const namesIssuer = Object.keys(env).some((name) => name.startsWith('AUTH_'));
  const issuerEnv = env.DATABASE_URL && !namesIssuer ? (await testIssuer()).env : {};
  const app = spawnApp('api', { HOST: '127.0.0.1', PORT: port, LOG_LEVEL: 'info', ...issuerEnv, ...env });
  return untilLive(app, 'api', timeoutMs);
}

/** Starts the worker, its health checks and metrics on free ports, and waits until it answers /health/live. */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<AppProcess> {
  const ports = { PORT: String(await freePort()), METRICS_PORT: String(await freePort()) };
  return untilLive(spawnApp('worker', { HOST: '127.0.0.1', ...ports, LOG_LEVEL: 'info', ...env }), 'worker', timeoutMs);
}

async function untilLive(app: AppProcess, name: string, timeoutMs: number): Promise<AppProcess> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void app.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(
        `${name} exited with ${exitCode} before it was ready:\n${app.stderr.join('\n')}\n${app.stdout.slice(-20).join('\n')}`,
      );
    }
    try {
      if ((await fetch(`${app.url}/health/live`)).ok) {
        return app;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await app.stop('SIGKILL');
  throw new Error(`${name} did not become ready within ${timeoutMs} ms:\n${app.stdout.slice(-20).join('\n')}`);
}
