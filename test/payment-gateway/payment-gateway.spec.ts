/**
 * The payment gateway simulator (apps/payment-gateway) over real HTTP on a free port, plus its process (main.ts) for
 * configuration errors and SIGTERM. What reached the simulator and what it charged are read from its state.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  createPaymentGateway,
  readGatewayEnvironment,
  startPaymentGateway,
  type Capture,
  type Refund,
  type RunningPaymentGateway,
} from '../../apps/payment-gateway/src/gateway';
import { freePort } from '../support/app-process';
import { sleep, waitFor } from '../support/wait-for';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROBLEM = /^application\/problem\+json/;

const captureBody = (overrides: Record<string, unknown> = {}) => ({
  reference: 'order-1',
  customerId: 'customer-1',
  amountMinor: 1999,
  currency: 'EUR',
  ...overrides,
});

let gateway: RunningPaymentGateway;
beforeEach(async () => {
  gateway = await startPaymentGateway({ port: 0 });
});
afterEach(async () => {
  // Closing never waits for clients: not for held requests, nor for connections a client keeps open.
  const started = performance.now();
  await gateway.close();
  expect(performance.now() - started).toBeLessThan(1_000);
});

function postCapture(key: string | undefined, body: unknown = captureBody(), init: RequestInit = {}) {
  return fetch(`${gateway.url}/captures`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify(body),
    ...init,
  });
}

function postRefund(captureId: string, key: string | undefined, init: RequestInit = {}) {
  return fetch(`${gateway.url}/captures/${captureId}/refunds`, {
    method: 'POST',
    headers: key === undefined ? {} : { 'idempotency-key': key },
    ...init,
  });
}

/** A capture made for the test: its id, to refund. */
async function captured(key = 'capture-key', body = captureBody()): Promise<Capture> {
  return (await (await postCapture(key, body)).json()) as Capture;
}

const putFaults = (faults: Record<string, unknown>) =>
  fetch(`${gateway.url}/admin/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });

describe('POST /captures', () => {
  it('captures: 201 with the capture, recorded as one charge', async () => {
    const response = await postCapture('key-1');
    expect(response.status).toBe(201);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    const capture = (await response.json()) as Capture;
    expect(capture).toEqual({
      captureId: expect.stringMatching(UUID),
      reference: 'order-1',
      status: 'CAPTURED',
      amountMinor: 1999,
      currency: 'EUR',
      capturedAt: expect.any(String),
    });
    expect(Date.parse(capture.capturedAt)).not.toBeNaN();
    expect(gateway.state.charges).toEqual([capture]);
    expect(gateway.state.requests).toBe(1);
  });

  it('replays the first result for the same key and body, and never charges twice', async () => {
    const first = (await (await postCapture('key-1')).json()) as Capture;
    const again = await postCapture('key-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(first);
    expect(gateway.state.charges).toHaveLength(1);
    expect(gateway.state.requests).toBe(2);
  });

  it('answers 409 to the same key with another body, and charges nothing more', async () => {
    await postCapture('key-1');
    const response = await postCapture('key-1', captureBody({ amountMinor: 2000 }));
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    expect(await response.json()).toMatchObject({ type: '/problems/idempotency-key-reused', status: 409 });
    expect(gateway.state.charges).toHaveLength(1);
  });

  it('charges once for concurrent requests with one key', async () => {
    gateway.setFaults({ latencyMs: 30 }); // so that all of them are in flight together
    const responses = await Promise.all(Array.from({ length: 10 }, () => postCapture('key-1')));
    const captures = (await Promise.all(responses.map((r) => r.json()))) as Capture[];
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(captures.map((c) => c.captureId)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(gateway.state.charges).toHaveLength(1);
  });

  it.each([
    ['an amount over 100,000.00', { amountMinor: 10_000_001 }, 'AMOUNT_LIMIT_EXCEEDED'],
    ['a declining customer', { customerId: 'decline-42' }, 'CARD_DECLINED'],
  ])('declines %s, charges nothing, and replays the decline', async (_name, overrides, reason) => {
    const response = await postCapture('key-1', captureBody(overrides));
    expect(response.status).toBe(201);
    const decline = (await response.json()) as Capture;
    expect(decline).toMatchObject({
      status: 'DECLINED',
      declineReason: reason,
      captureId: expect.stringMatching(UUID),
    });
    expect(await (await postCapture('key-1', captureBody(overrides))).json()).toEqual(decline);
    expect(gateway.state.charges).toHaveLength(0);
    expect(gateway.state.declines).toEqual([decline]);
  });

  it('captures exactly 100,000.00 (the limit is exclusive)', async () => {
    const response = await postCapture('key-1', captureBody({ amountMinor: 10_000_000 }));
    expect(await response.json()).toMatchObject({ status: 'CAPTURED' });
  });

  it.each([
    ['no Idempotency-Key', undefined, captureBody(), 'Idempotency-Key'],
    ['an empty Idempotency-Key', '', captureBody(), 'Idempotency-Key'],
    ['an Idempotency-Key over 255 characters', 'k'.repeat(256), captureBody(), 'Idempotency-Key'],
    ['an amount of 0', 'key-1', captureBody({ amountMinor: 0 }), 'amountMinor'],
    ['a fractional amount', 'key-1', captureBody({ amountMinor: 19.99 }), 'amountMinor'],
    ['a lowercase currency', 'key-1', captureBody({ currency: 'eur' }), 'currency'],
    ['a missing reference', 'key-1', { customerId: 'c', amountMinor: 1, currency: 'EUR' }, 'reference'],
    ['an unknown field', 'key-1', captureBody({ cardNumber: '4111111111111111' }), 'cardNumber'],
    ['a body that is not an object', 'key-1', [1, 2], '(body)'],
  ])('answers 400 to %s, naming the field, and charges nothing', async (_name, key, body, field) => {
    const response = await postCapture(key, body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    const problem = (await response.json()) as { type: string; errors: Array<{ field: string }> };
    expect(problem).toMatchObject({ type: '/problems/validation-failed', title: 'Validation failed', status: 400 });
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(gateway.state.charges).toHaveLength(0);
    expect(gateway.state.requests).toBe(1);
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const response = await fetch(`${gateway.url}/captures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' },
      body: '{"reference":',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
  });
});

describe('POST /captures/:captureId/refunds', () => {
  it('refunds a charge in full: 201 with the refund, and the charge shows it', async () => {
    const charge = await captured();
    const response = await postRefund(charge.captureId, 'refund-key');
    expect(response.status).toBe(201);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    const refund = (await response.json()) as Refund;
    expect(refund).toEqual({
      refundId: expect.stringMatching(UUID),
      captureId: charge.captureId,
      reference: 'order-1',
      amountMinor: 1999,
      currency: 'EUR',
      refundedAt: expect.any(String),
    });
    expect(gateway.state.refunds).toEqual([refund]);
    expect(gateway.state.charges).toEqual([{ ...charge, refundId: refund.refundId, refundedAt: refund.refundedAt }]);
    expect(await (await fetch(`${gateway.url}/admin/charges`)).json()).toEqual({
      count: 1,
      charges: [{ ...charge, refundId: refund.refundId, refundedAt: refund.refundedAt }],
    });
    expect(await (await fetch(`${gateway.url}/admin/stats`)).json()).toEqual({
      requests: 2,
      charges: 1,
      declines: 0,
      refunds: 1,
    });
  });

  it('replays the first refund for the same key and capture, and never refunds twice', async () => {
    const charge = await captured();
    const first = (await (await postRefund(charge.captureId, 'refund-key')).json()) as Refund;
    const again = await postRefund(charge.captureId, 'refund-key');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(first);
    expect(gateway.state.refunds).toHaveLength(1);
  });

  it('answers 409 to a refund of a refunded capture under another key, and to a key reused for another capture', async () => {
    const charge = await captured('capture-1', captureBody({ reference: 'order-1' }));
    const other = await captured('capture-2', captureBody({ reference: 'order-2' }));
    await postRefund(charge.captureId, 'refund-1');

    const twice = await postRefund(charge.captureId, 'refund-2');
    expect(twice.status).toBe(409);
    expect(twice.headers.get('content-type')).toMatch(PROBLEM);
    expect(await twice.json()).toMatchObject({ type: '/problems/capture-already-refunded', status: 409 });

    const reused = await postRefund(other.captureId, 'refund-1');
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ type: '/problems/idempotency-key-reused', status: 409 });
    expect(gateway.state.refunds).toHaveLength(1);
    expect(gateway.state.charges.find((c) => c.captureId === other.captureId)).not.toHaveProperty('refundId');
  });

  it('answers 422 to a refund of a declined capture and 404 to an unknown one, refunding nothing', async () => {
    const decline = await captured('capture-1', captureBody({ customerId: 'decline-1' }));
    const declined = await postRefund(decline.captureId, 'refund-1');
    expect(declined.status).toBe(422);
    expect(declined.headers.get('content-type')).toMatch(PROBLEM);
    expect(await declined.json()).toMatchObject({ type: '/problems/capture-not-refundable', status: 422 });

    const unknown = await postRefund('no-such-capture', 'refund-2');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(PROBLEM);
    expect(await unknown.json()).toMatchObject({ type: '/problems/capture-not-found', status: 404 });
    expect(gateway.state.refunds).toHaveLength(0);
  });

  it.each([
    ['no Idempotency-Key', undefined, {}, 'Idempotency-Key'],
    [
      'an amount (a partial refund)',
      'refund-1',
      { headers: { 'content-type': 'application/json' }, body: '{"amountMinor":100}' },
      'amountMinor',
    ],
  ])('answers 400 to %s, naming the field, and refunds nothing', async (_name, key, init, field) => {
    const charge = await captured();
    const response = await postRefund(charge.captureId, key, init as RequestInit);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(PROBLEM);
    const problem = (await response.json()) as { errors: Array<{ field: string }> };
    expect(problem.errors.map((e) => e.field)).toContain(field);
    expect(gateway.state.refunds).toHaveLength(0);
  });

  it('gets the faults of captures: a 500 refunds nothing and leaves the key usable; an outage resets the connection', async () => {
    const charge = await captured();
    await putFaults({ errorRate: 1 });
    const failed = await postRefund(charge.captureId, 'refund-1');
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ type: '/problems/provider-error' });

    await putFaults({ outage: true });
    await expect(postRefund(charge.captureId, 'refund-1')).rejects.toMatchObject({
      cause: { code: 'ECONNRESET' },
    });
    expect(gateway.state).toMatchObject({ requests: 3, refunds: [] });

    await putFaults({});
    const refunded = await postRefund(charge.captureId, 'refund-1');
    expect(refunded.status).toBe(201);
    expect(refunded.headers.get('idempotent-replayed')).toBeNull();
    expect(gateway.state.refunds).toHaveLength(1);
  });

  it('latency past the client timeout: the provider still refunds, and the retry replays it (one refund)', async () => {
    const charge = await captured();
    await putFaults({ latencyMs: 300 });
    await expect(postRefund(charge.captureId, 'refund-1', { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    await waitFor(() => gateway.state.refunds.length === 1, 2_000);

    await putFaults({});
    const retry = await postRefund(charge.captureId, 'refund-1');
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as Refund).refundId).toBe(gateway.state.refunds[0]?.refundId);
    expect(gateway.state.refunds).toHaveLength(1);
  });
});

describe('faults', () => {
  it('error rate 1: every capture gets a 500 problem and nothing is charged; the key stays usable', async () => {
    await putFaults({ errorRate: 1 });
    for (let i = 0; i < 3; i++) {
      const response = await postCapture('key-1');
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toMatch(PROBLEM);
      expect(await response.json()).toMatchObject({ type: '/problems/provider-error', status: 500 });
    }
    expect(gateway.state).toMatchObject({ requests: 3, charges: [] });

    await putFaults({});
    const retried = await postCapture('key-1');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(gateway.state.charges).toHaveLength(1);
  });

  it('error rate: a request fails when the injected random() is below the rate', async () => {
    const draws = [0.2, 0.8, 0.49, 0.5];
    const app = createPaymentGateway({ faults: { errorRate: 0.5 }, random: () => draws.shift() ?? 1 });
    const inject = (key: string) =>
      app.inject({ method: 'POST', url: '/captures', headers: { 'idempotency-key': key }, payload: captureBody() });
    const statuses = [];
    for (const key of ['a', 'b', 'c', 'd']) statuses.push((await inject(key)).statusCode);
    expect(statuses).toEqual([500, 201, 500, 201]);
    expect(app.state.charges).toHaveLength(2);
    await app.close();
  });

  it('latency: the answer comes after at least the latency', async () => {
    await putFaults({ latencyMs: 200 });
    const started = performance.now();
    const response = await postCapture('key-1', captureBody(), { signal: AbortSignal.timeout(5_000) });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(201);
    expect(elapsed).toBeGreaterThanOrEqual(195); // timers may fire a little early by the clock of another thread
    expect(elapsed).toBeLessThan(2_000);
  });

  it('latency past the client timeout: the provider still captures, and the retry replays it (one charge)', async () => {
    await putFaults({ latencyMs: 300 });
    await expect(postCapture('key-1', captureBody(), { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    await waitFor(() => gateway.state.charges.length === 1, 2_000);

    const retry = await postCapture('key-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as Capture).captureId).toBe(gateway.state.charges[0]?.captureId);
    expect(gateway.state.charges).toHaveLength(1);
  });

  it('hang: no answer; the client timeout ends the call, and nothing is charged', async () => {
    await putFaults({ hang: true });
    const started = performance.now();
    await expect(postCapture('key-1', captureBody(), { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    await sleep(100);
    expect(gateway.state).toMatchObject({ requests: 1, charges: [] });
  });

  it('outage: the connection is reset without a response, and nothing is charged', async () => {
    await putFaults({ outage: true });
    const error = await postCapture('key-1').then(
      () => new Error('expected the request to fail'),
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(error).toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(gateway.state).toMatchObject({ requests: 1, charges: [] });
  });

  it('never touch the admin routes or /health', async () => {
    await putFaults({ outage: true, hang: true, errorRate: 1, latencyMs: 5_000 });
    const get = (route: string) => fetch(`${gateway.url}${route}`, { signal: AbortSignal.timeout(1_000) });
    expect((await get('/health')).status).toBe(200);
    expect(await (await get('/admin/faults')).json()).toEqual({
      outage: true,
      hang: true,
      errorRate: 1,
      latencyMs: 5_000,
    });
    expect(await (await get('/admin/stats')).json()).toEqual({ requests: 0, charges: 0, declines: 0, refunds: 0 });
    expect(await (await get('/admin/charges')).json()).toEqual({ count: 0, charges: [] });
    expect((await putFaults({})).status).toBe(200);
  });

  it('PUT /admin/faults replaces the faults and rejects invalid ones', async () => {
    expect(await (await putFaults({ latencyMs: 10 })).json()).toEqual({
      latencyMs: 10,
      errorRate: 0,
      hang: false,
      outage: false,
    });
    for (const bad of [{ errorRate: 1.5 }, { latencyMs: -1 }, { hang: 'yes' }, { chaos: true }]) {
      const response = await putFaults(bad);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(PROBLEM);
    }
    expect(await (await fetch(`${gateway.url}/admin/faults`)).json()).toMatchObject({ latencyMs: 10 });
  });

  it('POST /admin/reset clears the faults and the state', async () => {
    const charge = (await (await postCapture('key-1')).json()) as Capture;
    await postCapture('key-2', captureBody({ customerId: 'decline-1' }));
    await postRefund(charge.captureId, 'refund-1');
    await putFaults({ errorRate: 1 });
    expect(await (await fetch(`${gateway.url}/admin/stats`)).json()).toEqual({
      requests: 3,
      charges: 1,
      declines: 1,
      refunds: 1,
    });

    expect((await fetch(`${gateway.url}/admin/reset`, { method: 'POST' })).status).toBe(204);
    expect(await (await fetch(`${gateway.url}/admin/stats`)).json()).toEqual({
      requests: 0,
      charges: 0,
      declines: 0,
      refunds: 0,
    });
    expect(await (await fetch(`${gateway.url}/admin/faults`)).json()).toMatchObject({ errorRate: 0 });
    // The idempotency keys are forgotten too: the same key captures anew.
    const again = await postCapture('key-1');
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(gateway.state.charges).toHaveLength(1);
  });

  it.each([
    ['a hung request', { hang: true }],
    ['a request in its latency', { latencyMs: 300 }],
  ])('close() with %s pending resolves promptly and ends it, timers included', async (_name, faults) => {
    gateway.setFaults(faults);
    const pending = postCapture('key-1').then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => gateway.state.requests === 1, 2_000);
    const started = performance.now();
    await gateway.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await pending).toBe('failed');
    await sleep(400); // past the latency: a timer left running would capture now
    expect(gateway.state.charges).toHaveLength(0);
  });
});

describe('the process (main.ts)', () => {
  const ROOT = path.resolve(__dirname, '../..');
  function run(env: Record<string, string>) {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/payment-gateway/src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { child, output, exited };
  }

  it('reads its environment: defaults, and every bad variable named', () => {
    expect(readGatewayEnvironment({})).toEqual({
      host: '0.0.0.0',
      port: 3100,
      logLevel: 'info',
      faults: { latencyMs: 0, errorRate: 0, hang: false, outage: false },
    });
    expect(
      readGatewayEnvironment({
        FAULT_LATENCY_MS: '250',
        FAULT_ERROR_RATE: '0.25',
        FAULT_HANG: 'true',
        FAULT_OUTAGE: '',
      }).faults,
    ).toEqual({ latencyMs: 250, errorRate: 0.25, hang: true, outage: false });
    const bad = () => readGatewayEnvironment({ FAULT_ERROR_RATE: '1.5', FAULT_HANG: 'maybe', PORT: 'x' });
    expect(bad).toThrow(/^ {2}- FAULT_ERROR_RATE: expected a number between 0 and 1 \(got "1.5"\)$/m);
    expect(bad).toThrow(/^ {2}- FAULT_HANG: .*\(got "maybe"\)$/m);
    expect(bad).toThrow(/^ {2}- PORT: expected an integer between 0 and 65535 \(got "x"\)$/m);
  });

  it('exits 1 on a bad variable, naming it', async () => {
    const { output, exited } = run({ FAULT_OUTAGE: 'sometimes' });
    expect(await exited).toBe(1);
    expect(output.stderr).toMatch(/FAULT_OUTAGE: .*"sometimes"/);
  });

  it('serves, logs JSON, and exits 0 on SIGTERM, even with a hung request', async () => {
    const port = await freePort();
    const { child, output, exited } = run({ PORT: String(port), HOST: '127.0.0.1', FAULT_HANG: 'true' });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      () =>
        fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      15_000,
    );
    const hung = fetch(`${url}/captures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' },
      body: JSON.stringify(captureBody()),
    }).catch(() => 'failed');
    await waitFor(() => output.stdout.includes('Simulated hang'), 5_000);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await hung).toBe('failed');
    const lines = output.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'Payment gateway simulator started', url, service: 'payment-gateway' }),
    );
  });
});
