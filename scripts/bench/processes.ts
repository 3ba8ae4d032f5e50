import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../test/support/free-port';

export { freePort };

export const ROOT = path.resolve(__dirname, '../..');

export interface RunningProcess {
  url: string;
  /** Where its log lines went. */
  logFile: string;
  stop(): Promise<void>;
}

/** The benchmark build of the api (bench-api.ts) as a process of its own, ready to serve. */
export function startBenchApi(env: Record<string, string>): Promise<RunningProcess> {
  return startReadyProcess('scripts/bench/bench-api.ts', 'api', env);
}

/**
 * The worker (relays, consumers, the saga's timer) as a process of its own, ready once its health
 * route says so. `url` is its health server's.
 */
export async function startBenchWorker(env: Record<string, string>): Promise<RunningProcess> {
  return startReadyProcess('apps/worker/src/main.ts', 'worker', { METRICS_PORT: String(await freePort()), ...env });
}

/** A process of the application on a free PORT, ready once its GET /health/ready answers 200. */
async function startReadyProcess(script: string, label: string, env: Record<string, string>): Promise<RunningProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      LOG_HTTP_REQUESTS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The process's warnings and errors, kept for a look after the run.
  const logFile = path.join(tmpdir(), `nest-modulith-bench-${label}-${port}.log`);
  const logStream = createWriteStream(logFile);
  child.stdout!.pipe(logStream);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    logStream.write(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${label} exited at startup:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the ${label} did not start within 90 s:\n${stderr}`);
    }
    try {
      if ((await fetch(`${url}/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    logFile,
    stop: async () => {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** A process to completion, its stdout returned; a failure names the command and its stderr. */
export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`)),
    );
  });
}
