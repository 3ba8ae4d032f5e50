import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run demo` (without npm): its own embedded api, in-memory database, simulator in-process. */
function runDemo(timeoutMs: number): Promise<Finished> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/demo.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo (embedded)', () => {
  let demo: Finished;

  beforeAll(async () => {
    demo = await runDemo(50_000);
  }, 55_000);

  it('exits 0 once every order is final, with quiet logs', () => {
    expect({ code: demo.code, stderr: demo.stderr }).toEqual({ code: 0, stderr: '' });
    expect(demo.stdout).toMatch(/^5 orders: .*\(\d+ ms\)$/m);
    expect(demo.stdout).not.toContain('PENDING');
    // No log lines (pino writes JSON): the output is the demo's own.
    expect(demo.stdout.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  });

  it('shows each outcome and the saga steps that led to it', () => {
    const out = demo.stdout;
    expect(out).toMatch(/^✔ alice +2 × TEA-SENCHA-100G +CONFIRMED$/m);
    expect(out).toMatch(/^✘ dave +1 × TEA-SENCHA-100G, 1 × GFT-CARD-50 +CANCELLED +OUT_OF_STOCK$/m);
    expect(out).toMatch(/^✘ decline-erin +3 × COF-ETHIOPIA-250G +CANCELLED +PAYMENT_DECLINED$/m);
    expect(out).toMatch(/^ +\+0 ms +Started +→ AWAITING_STOCK +sent ReserveStock$/m);
    expect(out).toMatch(/StockReserved +→ AWAITING_PAYMENT +sent CapturePayment$/m);
    expect(out).toMatch(/PaymentCaptured +→ CONFIRMED$/m);
    expect(out).toMatch(/StockReservationRejected +→ CANCELLED +OUT_OF_STOCK: GFT-CARD-50$/m);
    expect(out).toMatch(/PaymentDeclined +→ RELEASING_STOCK +sent ReleaseStock/m);
    expect(out).toMatch(/StockReleased +→ CANCELLED$/m);
  });

  it('lets one of two racing customers have the last unit; the other is OUT_OF_STOCK', () => {
    const racers = demo.stdout.split('\n').filter((line) => / 1 × COF-GEISHA-100G /.test(line));
    expect(racers).toHaveLength(2);
    expect(racers.filter((line) => line.endsWith('CONFIRMED'))).toHaveLength(1);
    expect(racers.filter((line) => line.endsWith('CANCELLED  OUT_OF_STOCK'))).toHaveLength(1);
    expect(demo.stdout).toMatch(/StockReservationRejected +→ CANCELLED +OUT_OF_STOCK: COF-GEISHA-100G$/m);
  });

  it('shows the stock before and after: held for confirmed orders, released for the declined one', () => {
    expect(demo.stdout).toMatch(/^ +TEA-SENCHA-100G +available 100 → 98 +reserved 0 → 2$/m);
    expect(demo.stdout).toMatch(/^ +COF-GEISHA-100G +available 1 → 0 +reserved 0 → 1$/m);
    expect(demo.stdout).toMatch(/^ +GFT-CARD-50 +available 0 → 0 +reserved 0 → 0$/m);
    expect(demo.stdout).toMatch(/^ +COF-ETHIOPIA-250G +available 100 → 100 +reserved 0 → 0$/m);
  });
});
