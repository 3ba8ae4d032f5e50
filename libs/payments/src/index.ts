/**
 * The payments module's public surface. Other modules and the apps import only from here: the
 * Nest module, the commands payments accepts and the events it publishes. It has no facade:
 * nothing needs to read payments synchronously.
 */
export { PaymentsModule } from './payments.module';
export { CapturePaymentV1 } from './contracts/capture-payment.v1';
export { PaymentCapturedV1 } from './contracts/payment-captured.v1';
export { PaymentDeclinedV1 } from './contracts/payment-declined.v1';
export { PaymentFailedV1 } from './contracts/payment-failed.v1';
export { RefundPaymentV1 } from './contracts/refund-payment.v1';
export { PaymentRefundedV1 } from './contracts/payment-refunded.v1';
export { RefundFailedV1 } from './contracts/refund-failed.v1';
