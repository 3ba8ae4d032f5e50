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
} from '../../application/payment-gateway';

export const PAYMENT_GATEWAY_BREAKER = 'payment-gateway';

export interface HttpPaymentGatewayOptions {
  url: string;
  /** Per attempt. */
  timeoutMs: number;
  attempts: number;
  /** Captures in progress at once, and waiting beyond that; more are refused at once. */
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
 * carries its idempotency key, so a retried capture never charges twice), the `payment-gateway`
 * circuit breaker (fails fast while the provider is down), and a timeout per attempt.
 */
export class HttpPaymentGateway extends PaymentGateway {
  private readonly call: ResilientCall;

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
    this.call = resilient('payment-gateway.capture', {
      breaker,
      bulkhead: new Bulkhead(options.concurrency, options.queue, PAYMENT_GATEWAY_BREAKER),
      timeoutMs: options.timeoutMs,
      retry: {
        attempts: options.attempts,
        baseMs: options.backoffBaseMs ?? 100,
        capMs: options.backoffCapMs ?? 1_000,
        isRetryable: (error) => !(error instanceof PaymentRequestRefused),
      },
    });
  }

  async capture(request: CaptureRequest): Promise<CaptureResult> {
    try {
      return await this.call((signal) => this.post(request, signal));
    } catch (error) {
      if (error instanceof PaymentRequestRefused) {
        throw error;
      }
      throw new PaymentGatewayUnavailable(`Payment gateway unavailable: ${describe(error)}`, { cause: error });
    }
  }

  private async post(request: CaptureRequest, signal: AbortSignal): Promise<CaptureResult> {
    const { idempotencyKey, ...body } = request;
    const response = await fetch(new URL('/captures', this.options.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
      signal,
    });
    if (response.status >= 500 || response.status === 429) {
      throw new ProviderFailure(`HTTP ${response.status}`);
    }
    if (!response.ok) {
      throw new PaymentRequestRefused(
        `The payment gateway refused the capture: HTTP ${response.status} ${await response.text()}`,
      );
    }
    const result = (await response.json()) as { captureId: string; status: string; declineReason?: string };
    return result.status === 'CAPTURED'
      ? { status: 'CAPTURED', captureId: result.captureId }
      : { status: 'DECLINED', captureId: result.captureId, declineReason: result.declineReason ?? 'DECLINED' };
  }
}

function describe(error: unknown): string {
  if (error instanceof BreakerOpen) return 'circuit breaker open';
  if (error instanceof BulkheadRejected) return 'too many captures in progress';
  if (error instanceof TimeoutError) return `no answer within ${error.timeoutMs} ms`;
  return error instanceof Error ? error.message : String(error);
}
