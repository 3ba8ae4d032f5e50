import { Logger } from '@nestjs/common';
import type { AppConfig } from '@platform/config';
import { startPaymentGateway } from './gateway';

export interface PaymentGatewayForApp {
  config: AppConfig;
  /** Closes the in-process simulator, if one was started. */
  stop: () => Promise<void>;
  /** Logs where captures go; call it once the application's logger is in place. */
  announce: () => void;
}

/**
 * With no PAYMENT_GATEWAY_URL (the embedded mode, local runs, tests), the simulator runs inside the
 * process on a free loopback port, and the config points the payments client at it.
 */
export async function withPaymentGateway(config: AppConfig): Promise<PaymentGatewayForApp> {
  if (config.paymentGateway.url) {
    return { config, stop: async () => undefined, announce: () => undefined };
  }
  const gateway = await startPaymentGateway({ host: '127.0.0.1', port: 0 });
  return {
    config: { ...config, paymentGateway: { ...config.paymentGateway, url: gateway.url } },
    stop: gateway.close,
    announce: () =>
      new Logger('PaymentGateway').log(
        `Payment gateway simulated in-process at ${gateway.url} (set PAYMENT_GATEWAY_URL for a real one)`,
      ),
  };
}
