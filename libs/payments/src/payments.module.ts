import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { OutboxModule } from '@platform/outbox';
import { CircuitBreakers } from '@platform/resilience';
import { ClsModule } from 'nestjs-cls';
import { CapturePaymentHandler } from './application/capture-payment/capture-payment.handler';
import { PaymentGateway } from './application/payment-gateway';
import { CaptureRepository } from './application/ports';
import { PaymentCapturedV1 } from './contracts/payment-captured.v1';
import { PaymentDeclinedV1 } from './contracts/payment-declined.v1';
import { PaymentFailedV1 } from './contracts/payment-failed.v1';
import { PAYMENTS_EVENT_SOURCE } from './contracts/payments-event-source';
import { HttpPaymentGateway } from './infrastructure/gateway/http-payment-gateway';
import { PaymentsPrismaModule } from './infrastructure/persistence/payments-prisma.module';
import { paymentsTransactions, transactionProviders } from './infrastructure/persistence/payments-transactions';
import { PrismaCaptureRepository } from './infrastructure/persistence/prisma-capture.repository';

/**
 * The payments bounded context: captures of orders' totals at the payment provider, one per
 * order. Owns the `payments` schema. The command consumer for the fulfilment saga arrives with
 * the saga (issue 5).
 */
@Module({
  imports: [
    PaymentsPrismaModule,
    ClsModule.registerPlugins([paymentsTransactions()]),
    OutboxModule.forFeature({
      schema: 'payments',
      source: PAYMENTS_EVENT_SOURCE,
      events: [PaymentCapturedV1, PaymentDeclinedV1, PaymentFailedV1],
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
  ],
})
export class PaymentsModule {}
