import { Inject, Injectable, Logger } from '@nestjs/common';
import { inSpan } from '@platform/observability';
import { FulfilmentSaga, type FulfilmentReaction, type OrderToFulfil } from '../../domain/fulfilment/fulfilment-saga';
import { FulfilmentSagaRepository } from '../ports';
import { OrderingMetrics } from '../ordering-metrics';
import { UnitOfWork } from '../transactions';
import { FulfilmentSettings } from './fulfilment-settings';
import { commandMessage, commandType, outcomeMessage } from './fulfilment-messages';

/** An input of the saga: a reply of another module, applied at `now`. */
export type SagaInput = (saga: FulfilmentSaga, now: Date) => FulfilmentReaction;

/**
 * Runs the fulfilment sagas (the process manager): loads a saga under a lock, lets it decide, and
 * writes what it decided (its state, its commands in ordering's outbox, the order's final status)
 * in the same transaction. `start` and `react` run in the transaction of the inbox consumer that
 * received the message; `wakeDue` opens one transaction per saga it wakes.
 */
@Injectable()
export class FulfilmentProcess {
  private readonly logger = new Logger('Fulfilment');

  constructor(
    @Inject(FulfilmentSagaRepository) private readonly sagas: FulfilmentSagaRepository,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(FulfilmentSettings) private readonly settings: FulfilmentSettings,
    @Inject(OrderingMetrics) private readonly metrics: OrderingMetrics,
  ) {}

  /** Starts the saga of a placed order; a second start for the order does nothing. */
  async start(order: OrderToFulfil, now = new Date()): Promise<void> {
    const { saga, reaction } = FulfilmentSaga.start(order, this.settings.timeouts, now);
    await this.step(saga, () => this.sagas.start(saga, this.messages(saga, reaction, now)));
  }

  /** Applies a reply to the order's saga. A reply for an order without a saga is not ours: logged, dropped. */
  async react(orderId: string, input: SagaInput, now = new Date()): Promise<void> {
    const saga = await this.sagas.lock(orderId);
    if (!saga) {
      this.logger.warn(`A fulfilment reply for order ${orderId}, which has no saga, was ignored`);
      return;
    }
    await this.apply(saga, input(saga, now), now);
  }

  /**
   * Wakes the sagas due at `now` (re-sends, deadlines), each in a transaction of its own, so one
   * failing saga holds up no other. A command still in ordering's outbox is not sent again: under
   * load, copies queued behind the first would only make the backlog longer. SKIP LOCKED lets
   * several timers (and the consumers, which lock the same rows) work side by side. Returns how
   * many it woke.
   */
  async wakeDue(now = new Date(), limit = 100): Promise<number> {
    let woken = 0;
    for (const orderId of await this.sagas.due(now, limit)) {
      try {
        const changed = await this.unitOfWork.run(async () => {
          const saga = await this.sagas.lockIfDue(orderId, now);
          if (!saga) {
            return false;
          }
          const awaited = saga.awaitedCommand;
          const commandUndelivered = awaited !== null && (await this.sagas.awaitsRelay(orderId, commandType(awaited)));
          return this.apply(saga, saga.wake(now, { commandUndelivered }), now);
        });
        woken += changed ? 1 : 0;
      } catch (error) {
        this.logger.error(`The fulfilment timer failed for order ${orderId}: ${(error as Error).message}`);
      }
    }
    return woken;
  }

  /**
   * Starts the sagas of PENDING orders that have none although they were placed more than a
   * re-send interval ago and whose OrderPlaced is no longer in the outbox: it never reached the
   * saga (dead-lettered, or lost with a broker's memory). The saga, not its trigger, answers
   * for every order reaching a final state. A start racing with the late OrderPlaced is harmless:
   * the second start finds the saga and does nothing. Returns how many it started.
   */
  async startOrphans(now = new Date(), limit = 100): Promise<number> {
    const placedBefore = new Date(now.getTime() - this.settings.timeouts.resendAfterMs);
    const orphans = await this.sagas.withoutSaga(placedBefore, limit);
    for (const order of orphans) {
      this.logger.warn(
        `Order ${order.orderId} had no fulfilment saga ${this.settings.timeouts.resendAfterMs} ms after placement: starting it`,
      );
      await this.unitOfWork.run(() => this.start(order, now));
    }
    return orphans.length;
  }

  private async apply(saga: FulfilmentSaga, reaction: FulfilmentReaction, now: Date): Promise<boolean> {
    if (!reaction.changed) {
      return false;
    }
    await this.step(saga, () => this.sagas.save(saga, this.messages(saga, reaction, now), reaction.orderOutcome));
    if (reaction.orderOutcome) {
      const started = saga.snapshot().history[0];
      this.metrics.orderSettled(
        reaction.orderOutcome,
        started?.input === 'Started' ? new Date(started.at) : undefined,
        now,
      );
    }
    return true;
  }

  /**
   * A step of the saga as a span, `fulfilment <input>` (the reply or timer it reacted to), around
   * the statement that saves it: the commands it records carry this span's context onward.
   */
  private step<T>(saga: FulfilmentSaga, save: () => Promise<T>): Promise<T> {
    const entry = saga.snapshot().history.at(-1);
    return inSpan(
      `fulfilment ${entry?.input ?? 'step'}`,
      {
        attributes: {
          'order.id': saga.orderId,
          'fulfilment.input': entry?.input ?? '',
          'fulfilment.step': entry?.step ?? '',
          ...(entry?.sent ? { 'fulfilment.sent': entry.sent } : {}),
        },
      },
      save,
    );
  }

  private messages(saga: FulfilmentSaga, reaction: FulfilmentReaction, now: Date) {
    return [
      ...reaction.commands.map((command) => commandMessage(command, now)),
      ...(reaction.orderOutcome ? [outcomeMessage(saga.orderId, reaction.orderOutcome, now)] : []),
    ];
  }
}
