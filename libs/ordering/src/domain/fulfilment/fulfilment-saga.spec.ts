import { CancellationReasons } from './cancellation-reason';
import {
  FulfilmentSaga,
  FulfilmentStep,
  MAX_HISTORY_ENTRIES,
  type FulfilmentTimeouts,
  type OrderToFulfil,
  RefundStatus,
} from './fulfilment-saga';

const timeouts: FulfilmentTimeouts = {
  reservationTimeoutMs: 60_000,
  paymentTimeoutMs: 30_000,
  resendAfterMs: 5_000,
  maxResendAfterMs: 20_000,
};
const order: OrderToFulfil = {
  orderId: '0193a3b4-0000-7000-8000-000000000001',
  customerId: 'c-1',
  lines: [{ sku: 'A', quantity: 2 }],
  totalMinor: 1_000,
  currency: 'EUR',
};
const t0 = new Date('2026-11-22T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function started() {
  return FulfilmentSaga.start(order, timeouts, t0).saga;
}
function awaitingPayment() {
  const saga = started();
  saga.stockReserved(at(100));
  return saga;
}
function releasing(reason: 'declined' | 'timeout') {
  const saga = awaitingPayment();
  if (reason === 'declined') {
    saga.paymentDeclined('CARD_DECLINED', at(200));
  } else {
    saga.wake(at(100 + timeouts.paymentTimeoutMs));
  }
  return saga;
}

describe('FulfilmentSaga', () => {
  it('starts by reserving the stock, with a reservation deadline and a re-send scheduled', () => {
    const { saga, reaction } = FulfilmentSaga.start(order, timeouts, t0);
    expect(reaction.commands).toEqual([{ kind: 'ReserveStock', orderId: order.orderId, lines: order.lines }]);
    expect(saga.snapshot()).toMatchObject({
      step: FulfilmentStep.AwaitingStock,
      deadlineAt: at(60_000),
      wakeAt: at(5_000),
      attempts: 1,
    });
  });

  it('happy path: reserved, then captured, confirms the order', () => {
    const saga = started();
    const reserved = saga.stockReserved(at(100));
    expect(reserved.commands).toEqual([
      { kind: 'CapturePayment', orderId: order.orderId, customerId: 'c-1', amountMinor: 1_000, currency: 'EUR' },
    ]);
    expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.AwaitingPayment, deadlineAt: at(30_100) });

    const captured = saga.paymentCaptured('cap-1', at(200));
    expect(captured.orderOutcome).toEqual({ status: 'CONFIRMED' });
    expect(captured.commands).toEqual([]);
    expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.Confirmed, wakeAt: null, deadlineAt: null });
    expect(saga.isFinal).toBe(true);
    expect(saga.snapshot().history.map((entry) => entry.input)).toEqual([
      'Started',
      'StockReserved',
      'PaymentCaptured',
    ]);
  });

  it('an order with nothing to charge is confirmed once its stock is held', () => {
    const { saga } = FulfilmentSaga.start({ ...order, totalMinor: 0 }, timeouts, t0);
    const reaction = saga.stockReserved(at(100));
    expect(reaction.commands).toEqual([]);
    expect(reaction.orderOutcome).toEqual({ status: 'CONFIRMED' });
  });

  it('out of stock cancels at once: nothing is held, nothing to release', () => {
    const saga = started();
    const reaction = saga.stockReservationRejected('OUT_OF_STOCK', ['A'], at(100));
    expect(reaction).toEqual({
      changed: true,
      commands: [],
      orderOutcome: { status: 'CANCELLED', reason: CancellationReasons.OutOfStock },
    });
    expect(saga.snapshot().step).toBe(FulfilmentStep.Cancelled);
  });

  it('a decline releases the stock, and the order is cancelled only once inventory confirms', () => {
    const saga = awaitingPayment();
    const declined = saga.paymentDeclined('CARD_DECLINED', at(200));
    expect(declined.commands).toEqual([{ kind: 'ReleaseStock', orderId: order.orderId }]);
    expect(declined.orderOutcome).toBeNull();
    expect(saga.snapshot()).toMatchObject({
      step: FulfilmentStep.ReleasingStock,
      cancellationReason: CancellationReasons.PaymentDeclined,
    });

    const released = saga.stockReleased(at(300));
    expect(released.orderOutcome).toEqual({ status: 'CANCELLED', reason: CancellationReasons.PaymentDeclined });
    expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.Cancelled, wakeAt: null });
  });

  it('a retryable payment failure asks again after the backoff, never after the deadline', () => {
    const saga = awaitingPayment();
    const failed = saga.paymentFailed('GATEWAY_UNAVAILABLE', true, at(1_000));
    expect(failed.commands).toEqual([]);
    expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.AwaitingPayment, wakeAt: at(6_000) });

    const resent = saga.wake(at(6_000));
    expect(resent.commands.map((command) => command.kind)).toEqual(['CapturePayment']);
    expect(saga.snapshot()).toMatchObject({ attempts: 2, wakeAt: at(16_000) });

    saga.wake(at(16_000));
    saga.wake(at(30_000)); // the fourth wait (20 s, capped) would pass the deadline: woken at the deadline
    expect(saga.snapshot().wakeAt).toEqual(at(30_100));
  });

  it('a refused payment request (not retryable) cancels with PAYMENT_FAILED', () => {
    const saga = awaitingPayment();
    const reaction = saga.paymentFailed('REQUEST_REFUSED', false, at(1_000));
    expect(reaction.commands).toEqual([{ kind: 'ReleaseStock', orderId: order.orderId }]);
    expect(saga.snapshot().cancellationReason).toBe(CancellationReasons.PaymentFailed);
  });

  it('no capture by the payment deadline releases the stock and cancels with PAYMENT_TIMEOUT', () => {
    const saga = awaitingPayment();
    const reaction = saga.wake(at(30_100));
    expect(reaction.commands).toEqual([{ kind: 'ReleaseStock', orderId: order.orderId }]);
    expect(saga.snapshot()).toMatchObject({
      step: FulfilmentStep.ReleasingStock,
      cancellationReason: CancellationReasons.PaymentTimeout,
    });
    expect(saga.stockReleased(at(30_200)).orderOutcome).toEqual({
      status: 'CANCELLED',
      reason: CancellationReasons.PaymentTimeout,
    });
  });

  it('no reservation decision by its deadline releases (whatever may be held) with RESERVATION_TIMEOUT', () => {
    const saga = started();
    const reaction = saga.wake(at(60_000));
    expect(reaction.commands).toEqual([{ kind: 'ReleaseStock', orderId: order.orderId }]);
    expect(saga.snapshot().cancellationReason).toBe(CancellationReasons.ReservationTimeout);
    expect(saga.stockReserved(at(60_100)).changed).toBe(false); // a late reservation: the release undoes it
  });

  it('re-sends the waiting step’s command with exponential backoff up to the cap', () => {
    const saga = started();
    const waits: number[] = [];
    let now = t0.getTime();
    for (let round = 0; round < 4; round += 1) {
      const wakeAt = saga.snapshot().wakeAt!.getTime();
      waits.push(wakeAt - now);
      now = wakeAt;
      expect(saga.wake(new Date(now)).commands.map((command) => command.kind)).toEqual(['ReserveStock']);
    }
    expect(waits).toEqual([5_000, 10_000, 20_000, 20_000]);
  });

  it('does not re-send a command whose last copy is not delivered yet: it waits another backoff', () => {
    const saga = started();
    const postponed = saga.wake(at(5_000), { commandUndelivered: true });
    expect(postponed).toEqual({ changed: true, commands: [], orderOutcome: null });
    expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.AwaitingStock, attempts: 1, wakeAt: at(10_000) });
    expect(saga.snapshot().history.at(-1)).toMatchObject({
      input: 'Timer',
      note: 'ReserveStock not delivered yet: re-send postponed',
    });

    expect(saga.wake(at(10_000)).commands.map((command) => command.kind)).toEqual(['ReserveStock']);
    expect(saga.snapshot()).toMatchObject({ attempts: 2, wakeAt: at(20_000) });
  });

  it('cancels at the deadline even while the command is not delivered yet', () => {
    const saga = awaitingPayment();
    const reaction = saga.wake(at(30_100), { commandUndelivered: true });
    expect(reaction.commands).toEqual([{ kind: 'ReleaseStock', orderId: order.orderId }]);
    expect(saga.snapshot().cancellationReason).toBe(CancellationReasons.PaymentTimeout);
  });

  it('names the command each step waits for', () => {
    expect(started().awaitedCommand).toBe('ReserveStock');
    expect(awaitingPayment().awaitedCommand).toBe('CapturePayment');
    expect(releasing('declined').awaitedCommand).toBe('ReleaseStock');
    const confirmed = awaitingPayment();
    confirmed.paymentCaptured('cap-1', at(1_000));
    expect(confirmed.awaitedCommand).toBeNull();
  });

  it('the timer before the wake time does nothing', () => {
    const saga = started();
    expect(saga.wake(at(4_999))).toEqual({ changed: false, commands: [], orderOutcome: null });
  });

  it('keeps re-sending the release (compensation has no deadline)', () => {
    const saga = releasing('declined');
    const wakeAt = saga.snapshot().wakeAt!;
    expect(saga.wake(wakeAt).commands).toEqual([{ kind: 'ReleaseStock', orderId: order.orderId }]);
    expect(saga.snapshot().step).toBe(FulfilmentStep.ReleasingStock);
  });

  it.each([
    ['a duplicate reservation', (saga: FulfilmentSaga) => saga.stockReserved(at(500))],
    [
      'a rejection after the reservation',
      (saga: FulfilmentSaga) => saga.stockReservationRejected('OUT_OF_STOCK', ['A'], at(500)),
    ],
    ['a release it did not ask for', (saga: FulfilmentSaga) => saga.stockReleased(at(500))],
    ['a refund it did not ask for', (saga: FulfilmentSaga) => saga.paymentRefunded(at(500))],
  ])('ignores %s', (_, input) => {
    const saga = awaitingPayment();
    const before = saga.snapshot();
    expect(input(saga)).toEqual({ changed: false, commands: [], orderOutcome: null });
    expect(saga.snapshot()).toEqual(before);
  });

  it('ignores replies once confirmed (a duplicate capture, a late failure)', () => {
    const saga = awaitingPayment();
    saga.paymentCaptured('cap-1', at(200));
    expect(saga.paymentCaptured('cap-1', at(300)).changed).toBe(false);
    expect(saga.paymentFailed('GATEWAY_UNAVAILABLE', true, at(300)).changed).toBe(false);
    expect(saga.paymentDeclined('CARD_DECLINED', at(300)).changed).toBe(false);
    expect(saga.wake(at(999_999)).changed).toBe(false);
  });

  describe('a capture that succeeds after the order was cancelled is refunded', () => {
    it('arriving after the cancellation: REFUNDING, then CANCELLED once refunded', () => {
      const saga = releasing('timeout');
      saga.stockReleased(at(30_200));
      const late = saga.paymentCaptured('cap-late', at(31_000));
      expect(late.commands).toEqual([{ kind: 'RefundPayment', orderId: order.orderId }]);
      expect(late.orderOutcome).toBeNull(); // the order is already CANCELLED
      expect(saga.snapshot()).toMatchObject({
        step: FulfilmentStep.Refunding,
        lateCaptureId: 'cap-late',
        refundStatus: RefundStatus.Requested,
      });
      expect(saga.wake(saga.snapshot().wakeAt!).commands).toEqual([{ kind: 'RefundPayment', orderId: order.orderId }]);

      expect(saga.paymentCaptured('cap-late', at(40_000)).changed).toBe(false); // repeated: one refund
      saga.paymentRefunded(at(41_000));
      expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.Cancelled, refundStatus: RefundStatus.Refunded });
      expect(saga.isFinal).toBe(true);
    });

    it('arriving while the stock is being released: refund sent at once; cancelled after both', () => {
      const saga = releasing('timeout');
      expect(saga.paymentCaptured('cap-late', at(30_150)).commands).toEqual([
        { kind: 'RefundPayment', orderId: order.orderId },
      ]);
      const released = saga.stockReleased(at(30_200));
      expect(released.orderOutcome).toEqual({ status: 'CANCELLED', reason: CancellationReasons.PaymentTimeout });
      expect(saga.snapshot().step).toBe(FulfilmentStep.Refunding);
      saga.paymentRefunded(at(30_300));
      expect(saga.snapshot().step).toBe(FulfilmentStep.Cancelled);
    });

    it('refunded before the release completes: cancelled directly on release', () => {
      const saga = releasing('timeout');
      saga.paymentCaptured('cap-late', at(30_150));
      saga.paymentRefunded(at(30_160));
      saga.stockReleased(at(30_200));
      expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.Cancelled, refundStatus: RefundStatus.Refunded });
    });

    it('a refund the provider refuses is left for reconciliation', () => {
      const saga = releasing('timeout');
      saga.stockReleased(at(30_200));
      saga.paymentCaptured('cap-late', at(31_000));
      saga.refundFailed('GATEWAY_UNAVAILABLE', true, at(31_100));
      expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.Refunding });
      saga.refundFailed('REQUEST_REFUSED', false, at(32_000));
      expect(saga.snapshot()).toMatchObject({ step: FulfilmentStep.Cancelled, refundStatus: RefundStatus.Failed });
    });
  });

  it('a decline after a timeout cancellation changes nothing (nothing was charged)', () => {
    const saga = releasing('timeout');
    expect(saga.paymentDeclined('CARD_DECLINED', at(30_150)).changed).toBe(false);
  });

  it('keeps a bounded history, newest entries last', () => {
    const saga = releasing('declined');
    for (let round = 0; round < MAX_HISTORY_ENTRIES + 10; round += 1) {
      saga.wake(saga.snapshot().wakeAt!);
    }
    const { history } = saga.snapshot();
    expect(history).toHaveLength(MAX_HISTORY_ENTRIES);
    expect(history.at(-1)).toMatchObject({ input: 'Timer', sent: 'ReleaseStock' });
  });

  it('restores from its state and carries on', () => {
    const saga = FulfilmentSaga.restore(awaitingPayment().snapshot(), timeouts);
    expect(saga.paymentCaptured('cap-1', at(200)).orderOutcome).toEqual({ status: 'CONFIRMED' });
  });
});
