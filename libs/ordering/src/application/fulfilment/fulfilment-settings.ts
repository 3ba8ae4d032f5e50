import type { FulfilmentTimeouts } from '../../domain/fulfilment/fulfilment-saga';

/** The saga's timeouts, and how often the timer looks for sagas that are due (from configuration). */
export class FulfilmentSettings {
  constructor(
    readonly timeouts: FulfilmentTimeouts,
    readonly timerIntervalMs: number,
  ) {}
}
