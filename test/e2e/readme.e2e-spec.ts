import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type AppProcess, startApiProcess } from '../support/app-process';

const ROOT = path.resolve(__dirname, '../..');

/**
 * The README promises curl examples that work as written: this runs them against the embedded mode,
 * tokens from its development issuer included (`npm run -s token`, pointed at the app by API_URL).
 */
describe('README quick start', () => {
  let app: AppProcess;
  let workDir: string;

  beforeAll(async () => {
    app = await startApiProcess({ PGLITE_DATA_DIR: 'memory://' });
    workDir = mkdtempSync(path.join(tmpdir(), 'nest-modulith-readme-'));
  });
  afterAll(async () => {
    await app.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs the "Try it" block as written', async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /Try it[^\n]*\n\n```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();

    // The block runs in a directory of its own (it writes order.json), where npm would find no
    // package.json: its npm commands run in the repository, as they do for a reader there.
    const inRepository = 'npm() { (cd "$README_REPOSITORY" && command npm "$@"); }\n';
    const script = `set -euo pipefail\n${inRepository}${block!.replaceAll('http://localhost:3000', app.url)}`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      cwd: workDir,
      env: {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        README_REPOSITORY: ROOT,
        API_URL: app.url,
      },
    });
    const answers = stdout
      .split(/\n|(?<=\})(?=\{)/)
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

    const [page, product, placed, replayed, read, fulfilment, problem, changed, ready] = answers;
    expect((page!.items as unknown[]).length).toBe(5);
    expect(product).toMatchObject({ sku: 'TEA-SENCHA-100G', priceMinor: 850 });
    // The customer is the token's subject (`npm run -s token -- alice`).
    expect(placed).toMatchObject({ customerId: 'alice', status: 'PENDING', totalMinor: 2 * 850 + 1590 });
    expect(replayed).toEqual(placed);
    expect(read).toEqual({ ...placed, status: 'CONFIRMED' });
    expect(fulfilment).toMatchObject({ orderId: placed!.id, step: 'CONFIRMED' });
    expect((fulfilment!.history as { input: string }[]).map((entry) => entry.input)).toEqual([
      'Started',
      'StockReserved',
      'PaymentCaptured',
    ]);
    expect(problem).toMatchObject({ status: 400, type: '/problems/validation-failed' });
    expect((problem!.errors as { field: string }[]).map((error) => error.field).sort()).toEqual([
      'customerId',
      'items.0.quantity',
    ]);
    expect(changed).toMatchObject({ sku: 'TEA-SENCHA-100G', priceMinor: 900 });
    expect(ready).toMatchObject({ status: 'ok' });
    expect(answers).toHaveLength(9);
  });
});
