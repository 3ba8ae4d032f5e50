import { Injectable } from '@nestjs/common';
import { type Counter, type Histogram, metrics } from '@opentelemetry/api';
import type { OrderOutcome } from '../domain/fulfilment/fulfilment-saga';

/** The saga's duration buckets, in seconds: its target is a p99 under 1 s. */
const FULFILMENT_SECONDS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Ordering's business metrics, through the OpenTelemetry API, exported as the Prometheus series
 * `orders_placed_total`, `orders_confirmed_total`, `orders_cancelled_total{reason}` and
 * `fulfilment_duration_{count,sum,bucket}{outcome,reason}` (seconds). The instruments are made
 * when Nest builds this provider, after the SDK started: a meter taken before would stay a no-op.
 */
@Injectable()
export class OrderingMetrics {
  private readonly placed: Counter;
  private readonly confirmed: Counter;
  private readonly cancelled: Counter;
  private readonly fulfilment: Histogram;

  constructor() {
    const meter = metrics.getMeter('@modulith/ordering');
    this.placed = meter.createCounter('orders.placed', { description: 'Orders placed (replays of a key not counted)' });
    this.confirmed = meter.createCounter('orders.confirmed', { description: 'Orders the fulfilment saga confirmed' });
    this.cancelled = meter.createCounter('orders.cancelled', {
      description: 'Orders the fulfilment saga cancelled, by reason',
    });
    this.fulfilment = meter.createHistogram('fulfilment.duration', {
      description: 'From the start of an order’s fulfilment saga to its outcome, by outcome and reason',
      unit: 's',
      advice: { explicitBucketBoundaries: FULFILMENT_SECONDS },
    });
  }

  orderPlaced(): void {
    this.placed.add(1);
  }

  /**
   * A saga decided its order's outcome. Recorded in the transaction that writes it: if that
   * transaction rolls back, the retry counts it again (rare, and visible as a small excess).
   */
  orderSettled(outcome: OrderOutcome, startedAt: Date | undefined, now: Date): void {
    const reason = outcome.status === 'CANCELLED' ? outcome.reason : '';
    if (outcome.status === 'CONFIRMED') this.confirmed.add(1);
    else this.cancelled.add(1, { reason });
    if (startedAt) {
      this.fulfilment.record(Math.max(0, now.getTime() - startedAt.getTime()) / 1000, {
        outcome: outcome.status,
        ...(reason ? { reason } : {}),
      });
    }
  }
}
