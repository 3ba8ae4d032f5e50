import {
  BreakerOpen,
  Bulkhead,
  BulkheadRejected,
  type CircuitBreakers,
  resilient,
  type ResilientCall,
  TimeoutError,
} from '@platform/resilience';
import {
  type CaptureRequest,
  type CaptureResult,
  PaymentGateway,
  PaymentGatewayUnavailable,
  PaymentRequestRefused,
  type RefundRequest,
  type RefundResult,
} from '../../application/payment-gateway';

export const PAYMENT_GATEWAY_BREAKER = 'payment-gateway';

export interface HttpPaymentGatewayOptions {
  url: string;
  /** Per attempt. */
  timeoutMs: number;
  attempts: number;
  /** Calls (captures and refunds) in progress at once, and waiting beyond that; more are refused at once. */
  concurrency: number;
  queue: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Breaker settings, for tests; production uses the defaults of CircuitBreakers. */
  breaker?: { resetTimeout?: number; volumeThreshold?: number; errorThresholdPercentage?: number };
}

/** A response that says the provider failed, not the request: worth retrying, counts against the breaker. */
class ProviderFailure extends Error {}

/**
 * The provider over HTTP, behind the four policies every call leaving the process gets:
 * a bulkhead (bounded concurrency and queue), retries with full-jitter backoff (safe: a capture
 * and a refund each carry their idempotency key, so a retry never charges or refunds twice), the
 * `payment-gateway` circuit breaker (fails fast while the provider is down), and a timeout per
 * attempt. Captures and refunds share the breaker and the bulkhead: they reach the same provider,
 * over the same sockets.
 */
export class HttpPaymentGateway extends PaymentGateway {
  private readonly captureCall: ResilientCall;
  private readonly refundCall: ResilientCall;

  constructor(
    private readonly options: HttpPaymentGatewayOptions,
    breakers: CircuitBreakers,
  ) {
    super();
    const breaker = breakers.for(PAYMENT_GATEWAY_BREAKER, {
      // Optional for readiness: the api does not call the provider while serving requests.
      isOptional: true,
      // A refused request (4xx) is the caller's fault; it must not open the breaker.
      errorFilter: (error) => error instanceof PaymentRequestRefused,
      ...options.breaker,
    });
    const policies = {
      breaker,
      bulkhead: new Bulkhead(options.concurrency, options.queue, PAYMENT_GATEWAY_BREAKER),
      timeoutMs: options.timeoutMs,
      retry: {
        attempts: options.attempts,
        baseMs: options.backoffBaseMs ?? 100,
        capMs: options.backoffCapMs ?? 1_000,
        isRetryable: (error: unknown) => !(error instanceof PaymentRequestRefused),
      },
    };
    this.captureCall = resilient('payment-gateway.capture', policies);
    this.refundCall = resilient('payment-gateway.refund', policies);
  }

  capture(request: CaptureRequest): Promise<CaptureResult> {
    return withProviderErrors(this.captureCall((signal) => this.postCapture(request, signal)));
  }

  refund(request: RefundRequest): Promise<RefundResult> {
    return withProviderErrors(this.refundCall((signal) => this.postRefund(request, signal)));
  }

  private async postCapture(request: CaptureRequest, signal: AbortSignal): Promise<CaptureResult> {
    const { idempotencyKey, ...body } = request;
    const response = await fetch(new URL('/captures', this.options.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      signal,
    });
    await checkAnswered(response, 'capture');
    const result = (await response.json()) as { captureId: string; status: string; declineReason?: string };
    return result.status === 'CAPTURED'
      ? { status: 'CAPTURED', captureId: result.captureId }
      : { status: 'DECLINED', captureId: result.captureId, declineReason: result.declineReason ?? 'DECLINED' };
  }

  private async postRefund({ idempotencyKey, captureId }: RefundRequest, signal: AbortSignal): Promise<RefundResult> {
    // A full refund: the provider refunds the whole captured amount, so the request has no body.
    const response = await fetch(new URL(`/captures/${encodeURIComponent(captureId)}/refunds`, this.options.url), {
      method: 'POST',
      headers: { 'idempotency-key': idempotencyKey },
      signal,
    });
    await checkAnswered(response, 'refund');
    const { refundId } = (await response.json()) as { refundId: string };
    return { refundId };
  }
}

/**
 * Throws unless the provider answered: a 5xx or a 429 is its failure (retried, counted by the
 * breaker), another 4xx a refusal of the request itself (neither).
 */
async function checkAnswered(response: Response, operation: 'capture' | 'refund'): Promise<void> {
  if (response.status >= 500 || response.status === 429) {
    throw new ProviderFailure(`HTTP ${response.status}`);
  }
  if (!response.ok) {
    throw new PaymentRequestRefused(
      `The payment gateway refused the ${operation}: HTTP ${response.status} ${await response.text()}`,
    );
  }
}

/** A refusal stays what it is; every other way of getting no answer is PaymentGatewayUnavailable. */
async function withProviderErrors<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof PaymentRequestRefused) {
      throw error;
    }
    throw new PaymentGatewayUnavailable(`Payment gateway unavailable: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  if (error instanceof BreakerOpen) return 'circuit breaker open';
  if (error instanceof BulkheadRejected) return 'too many calls to the payment gateway in progress';
  if (error instanceof TimeoutError) return `no answer within ${error.timeoutMs} ms`;
  return error instanceof Error ? error.message : String(error);
}
