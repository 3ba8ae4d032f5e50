import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { CircuitBreakers } from '@platform/resilience';
import { PaymentGateway } from './application/payment-gateway';
import { HttpPaymentGateway } from './infrastructure/gateway/http-payment-gateway';

/**
 * The payments bounded context. For now its gateway client: the capture of payments, their
 * records and the saga's steps arrive with issue 5.
 */
@Module({
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
  ],
})
export class PaymentsModule {}
