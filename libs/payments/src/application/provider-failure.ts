import { FailureReason } from '../domain/capture';
import { PaymentGatewayUnavailable, PaymentRequestRefused } from './payment-gateway';

/**
 * Why the provider gave no answer, when an error of the gateway port says so; null for any other
 * error, which is no answer of the provider but a bug, and must not be recorded as one.
 */
export function failureReasonOf(error: unknown): FailureReason | null {
  if (error instanceof PaymentGatewayUnavailable) return FailureReason.GatewayUnavailable;
  if (error instanceof PaymentRequestRefused) return FailureReason.RequestRefused;
  return null;
}
