import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { inboxConsumers } from '@platform/inbox';
import { OutboxModule } from '@platform/outbox';
import { CircuitBreakers } from '@platform/resilience';
import { ClsModule } from 'nestjs-cls';
import { CapturePaymentOnCommand } from './api/capture-payment-on-command.consumer';
import { RefundPaymentOnCommand } from './api/refund-payment-on-command.consumer';
import { CapturePaymentHandler } from './application/capture-payment/capture-payment.handler';
import { PaymentGateway } from './application/payment-gateway';
import { CaptureRepository } from './application/ports';
import { RefundPaymentHandler } from './application/refund-payment/refund-payment.handler';
import { PaymentCapturedV1 } from './contracts/payment-captured.v1';
import { PaymentDeclinedV1 } from './contracts/payment-declined.v1';
import { PaymentFailedV1 } from './contracts/payment-failed.v1';
import { PaymentRefundedV1 } from './contracts/payment-refunded.v1';
import { PAYMENTS_EVENT_SOURCE } from './contracts/payments-event-source';
import { RefundFailedV1 } from './contracts/refund-failed.v1';
import { HttpPaymentGateway } from './infrastructure/gateway/http-payment-gateway';
import { PaymentsPrismaModule } from './infrastructure/persistence/payments-prisma.module';
import { paymentsTransactions, transactionProviders } from './infrastructure/persistence/payments-transactions';
import { PrismaCaptureRepository } from './infrastructure/persistence/prisma-capture.repository';

/**
 * The payments bounded context: captures of orders' totals at the payment provider, one per
 * order, and their refunds. Owns the `payments` schema. Its two commands arrive from the broker
 * through its inbox (`api/*-on-command.consumer.ts`); their handlers own their transactions, since
 * they call the provider.
 */
@Module({
  imports: [
    PaymentsPrismaModule,
    ClsModule.registerPlugins([paymentsTransactions()]),
    OutboxModule.forFeature({
      schema: 'payments',
      source: PAYMENTS_EVENT_SOURCE,
      events: [PaymentCapturedV1, PaymentDeclinedV1, PaymentFailedV1, PaymentRefundedV1, RefundFailedV1],
    }),
  ],
  providers: [
    {
      provide: PaymentGateway,
      inject: [APP_CONFIG, CircuitBreakers],
      useFactory: ({ paymentGateway }: AppConfig, breakers: CircuitBreakers) => {
        if (!paymentGateway.url) {
          throw new Error('PAYMENT_GATEWAY_URL is not set and no simulated gateway was started');
        }
        return new HttpPaymentGateway({ ...paymentGateway, url: paymentGateway.url }, breakers);
      },
    },
    { provide: CaptureRepository, useClass: PrismaCaptureRepository },
    ...transactionProviders,
    CapturePaymentHandler,
    RefundPaymentHandler,
    CapturePaymentOnCommand,
    RefundPaymentOnCommand,
    inboxConsumers({
      schema: 'payments',
      transactions: 'payments',
      handlers: [CapturePaymentOnCommand, RefundPaymentOnCommand],
    }),
  ],
})
export class PaymentsModule {}
