import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { freePort, ROOT, run } from '../bench/processes';

export { freePort };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One of the system's deployables as a process the chaos may kill and start again. Every
 * incarnation appends to the same log file, behind a line that says which one it is.
 */
export class AppProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly log: WriteStream;
  incarnations = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    readonly logFile: string,
    /** Resolves once the process serves; `output` is what it has written so far. */
    private readonly isReady: (output: string) => Promise<boolean>,
  ) {
    this.log = createWriteStream(logFile);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.incarnations += 1;
    this.log.write(`\n--- ${this.name} #${this.incarnations} started at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['-r', '@swc-node/register', this.entry], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      this.log.write(chunk);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    while (!(await this.isReady(output))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} exited while starting; see ${this.logFile}:\n${output.slice(-2000)}`);
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${this.name} did not start within 120 s; see ${this.logFile}`);
      }
      await sleep(200);
    }
  }

  /** Sends a signal to the running incarnation (none: nothing happens). */
  signal(signal: NodeJS.Signals): boolean {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.kill(signal) : false;
  }

  /** SIGKILL: no shutdown hook runs, nothing in memory survives. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (the graceful shutdown), SIGKILL if it takes over 15 s. */
  async stop(): Promise<void> {
    this.signal('SIGTERM');
    const killer = setTimeout(() => this.signal('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(killer);
    this.log.end();
  }
}

/** A redis-server of the chaos' own, on a free port, without persistence: stopping it loses everything. */
export class OwnRedis {
  private server: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again) on the same port, empty. */
  async restart(): Promise<void> {
    const server = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.server = server;
    this.exited = new Promise((resolve) => server.once('exit', () => resolve()));
    for (let attempt = 0; ; attempt += 1) {
      try {
        await run('redis-cli', ['-p', String(this.port), 'ping']);
        return;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(100);
      }
    }
  }

  /** Stops the server (SIGTERM): connections close, the port refuses until restart(). */
  async stop(): Promise<void> {
    this.server?.kill('SIGTERM');
    await this.exited;
    this.server = null;
  }
}

export const logPath = (directory: string, name: string) => path.join(directory, `${name}.log`);
