import { CircuitBreakers, BulkheadRejected } from '@platform/resilience';
import { startPaymentGateway, type RunningPaymentGateway } from '../../apps/payment-gateway/src/gateway';
import {
  type CaptureRequest,
  PaymentGatewayUnavailable,
  PaymentRequestRefused,
} from '../../libs/payments/src/application/payment-gateway';
import {
  HttpPaymentGateway,
  type HttpPaymentGatewayOptions,
  PAYMENT_GATEWAY_BREAKER,
} from '../../libs/payments/src/infrastructure/gateway/http-payment-gateway';
import { sleep, waitFor } from '../support/wait-for';

const quiet = { log: () => undefined, warn: () => undefined };
let sequence = 0;
const capture = (overrides: Partial<CaptureRequest> = {}): CaptureRequest => {
  sequence += 1;
  return {
    idempotencyKey: `order-${sequence}-capture`,
    reference: `order-${sequence}`,
    customerId: 'customer-1',
    amountMinor: 4_200,
    currency: 'EUR',
    ...overrides,
  };
};

/** The payments client against the real simulator, over HTTP: each policy, proven at the simulator. */
describe('Payment gateway client (timeout, retry, breaker, bulkhead)', () => {
  let gateway: RunningPaymentGateway;
  let breakers: CircuitBreakers;

  const client = (options: Partial<HttpPaymentGatewayOptions> = {}) =>
    new HttpPaymentGateway(
      {
        url: gateway.url,
        timeoutMs: 300,
        attempts: 3,
        concurrency: 8,
        queue: 8,
        backoffBaseMs: 10,
        backoffCapMs: 50,
        breaker: { resetTimeout: 500, volumeThreshold: 5, errorThresholdPercentage: 50 },
        ...options,
      },
      breakers,
    );

  beforeEach(async () => {
    gateway = await startPaymentGateway({ host: '127.0.0.1', port: 0 });
    breakers = new CircuitBreakers(quiet);
  });
  afterEach(async () => {
    breakers.shutdown();
    await gateway.close();
  });

  it('captures, and declines as an answer rather than a failure', async () => {
    const payments = client();
    expect(await payments.capture(capture())).toMatchObject({ status: 'CAPTURED' });
    expect(await payments.capture(capture({ customerId: 'decline-me' }))).toMatchObject({
      status: 'DECLINED',
      declineReason: 'CARD_DECLINED',
    });
    expect(breakers.state(PAYMENT_GATEWAY_BREAKER)).toBe('closed');
  });

  it('opens its breaker on a failing gateway, then fails fast without reaching it, half-opens and closes on recovery', async () => {
    const payments = client();
    gateway.setFaults({ errorRate: 1 });
    await expect(payments.capture(capture())).rejects.toThrow(PaymentGatewayUnavailable);
    await expect(payments.capture(capture())).rejects.toThrow(PaymentGatewayUnavailable);
    expect(breakers.state(PAYMENT_GATEWAY_BREAKER)).toBe('open');

    const reached = gateway.state.requests;
    for (let i = 0; i < 10; i += 1) {
      await expect(payments.capture(capture())).rejects.toThrow('circuit breaker open');
    }
    expect(gateway.state.requests).toBe(reached);

    gateway.setFaults({});
    await waitFor(() => breakers.state(PAYMENT_GATEWAY_BREAKER) === 'half-open', 5_000);
    expect(await payments.capture(capture())).toMatchObject({ status: 'CAPTURED' });
    expect(breakers.state(PAYMENT_GATEWAY_BREAKER)).toBe('closed');
  });

  it('ends a call to a hung gateway within timeout × attempts plus backoff', async () => {
    const payments = client({ timeoutMs: 200, attempts: 3, backoffCapMs: 50 });
    gateway.setFaults({ hang: true });
    const started = Date.now();
    await expect(payments.capture(capture())).rejects.toThrow('no answer within 200 ms');
    // 3 attempts of 200 ms and 2 backoffs of at most 50 ms, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(3 * 200 + 2 * 50 + 1_500);
    expect(gateway.state.charges).toHaveLength(0);
  });

  it('never charges twice when a retry follows an attempt the gateway did complete', async () => {
    const payments = client({ timeoutMs: 150, attempts: 3 });
    gateway.setFaults({ latencyMs: 250 }); // the first attempt times out at the client, the capture happens anyway
    const request = capture();
    const first = payments.capture(request);
    await sleep(200);
    gateway.setFaults({});
    const result = await first;
    expect(result).toMatchObject({ status: 'CAPTURED' });
    await waitFor(() => gateway.state.charges.length > 0);
    await sleep(300);
    expect(gateway.state.charges.filter((charge) => charge.reference === request.reference)).toHaveLength(1);
    expect(gateway.state.requests).toBeGreaterThanOrEqual(2);
  });

  it('refuses calls at once beyond its concurrency and queue', async () => {
    const payments = client({ concurrency: 2, queue: 1, timeoutMs: 2_000, attempts: 1 });
    gateway.setFaults({ hang: true });
    const held = [payments.capture(capture()), payments.capture(capture()), payments.capture(capture())];
    await waitFor(() => gateway.state.requests === 2);
    const started = Date.now();
    const refused = payments.capture(capture());
    await expect(refused).rejects.toThrow('too many calls to the payment gateway in progress');
    await expect(refused).rejects.toMatchObject({ cause: expect.any(BulkheadRejected) });
    expect(Date.now() - started).toBeLessThan(1_000);
    gateway.setFaults({});
    await Promise.allSettled(held);
  });

  describe('refunds', () => {
    /** A capture made at the simulator, and the request that refunds it. */
    const capturedThenRefund = async (payments: HttpPaymentGateway) => {
      const request = capture();
      const { captureId } = await payments.capture(request);
      return { idempotencyKey: `${request.reference}-refund`, captureId };
    };

    it('refunds a capture; the same key again gets the same refund, and refunds once', async () => {
      const payments = client();
      const refund = await capturedThenRefund(payments);
      const first = await payments.refund(refund);
      expect(first).toEqual({ refundId: gateway.state.refunds[0]!.refundId });
      expect(await payments.refund(refund)).toEqual(first);
      expect(gateway.state.refunds).toHaveLength(1);
      expect(gateway.state.charges[0]).toMatchObject({ refundId: first.refundId });
    });

    it('refuses a refund of an unknown or declined capture as PaymentRequestRefused, with no retry and the breaker closed', async () => {
      const payments = client();
      const requests = gateway.state.requests;
      await expect(payments.refund({ idempotencyKey: 'refund-1', captureId: 'no-such-capture' })).rejects.toThrow(
        PaymentRequestRefused,
      );
      const declined = await payments.capture(capture({ customerId: 'decline-me' }));
      await expect(payments.refund({ idempotencyKey: 'refund-2', captureId: declined.captureId })).rejects.toThrow(
        /refused the refund: HTTP 422/,
      );
      expect(gateway.state.requests).toBe(requests + 3); // one attempt each, and the capture
      expect(gateway.state.refunds).toHaveLength(0);
      expect(breakers.state(PAYMENT_GATEWAY_BREAKER)).toBe('closed');
    });

    it('retries a failing provider, then is unavailable; the breaker it shares with captures opens for both', async () => {
      const payments = client();
      const refund = await capturedThenRefund(payments);
      gateway.setFaults({ errorRate: 1 });
      const requests = gateway.state.requests;
      await expect(payments.refund(refund)).rejects.toThrow(PaymentGatewayUnavailable);
      expect(gateway.state.requests).toBe(requests + 3);
      await expect(payments.refund(refund)).rejects.toThrow(PaymentGatewayUnavailable);
      expect(breakers.state(PAYMENT_GATEWAY_BREAKER)).toBe('open');

      const reached = gateway.state.requests;
      await expect(payments.refund(refund)).rejects.toThrow('circuit breaker open');
      await expect(payments.capture(capture())).rejects.toThrow('circuit breaker open');
      expect(gateway.state.requests).toBe(reached);
      expect(gateway.state.refunds).toHaveLength(0);
    });

    it('never refunds twice when a retry follows an attempt the gateway did complete', async () => {
      const payments = client({ timeoutMs: 150, attempts: 3 });
      const refund = await capturedThenRefund(payments);
      gateway.setFaults({ latencyMs: 250 }); // the first attempt times out at the client, the refund happens anyway
      const refunding = payments.refund(refund);
      await sleep(200);
      gateway.setFaults({});
      expect(await refunding).toEqual({ refundId: gateway.state.refunds[0]!.refundId });
      await sleep(300);
      expect(gateway.state.refunds).toHaveLength(1);
    });

    it('is refused at once beyond the bulkhead it shares with captures', async () => {
      const payments = client({ concurrency: 1, queue: 0, timeoutMs: 500, attempts: 1 });
      const refund = await capturedThenRefund(payments);
      gateway.setFaults({ hang: true });
      const requests = gateway.state.requests;
      const held = payments.capture(capture());
      await waitFor(() => gateway.state.requests === requests + 1);
      await expect(payments.refund(refund)).rejects.toThrow('too many calls to the payment gateway in progress');
      gateway.setFaults({});
      await Promise.allSettled([held]);
    });
  });
});
