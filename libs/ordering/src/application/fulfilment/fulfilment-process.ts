import { Inject, Injectable, Logger } from '@nestjs/common';
import { inSpanSync } from '@platform/observability';
import { FulfilmentSaga, type FulfilmentReaction, type OrderToFulfil } from '../../domain/fulfilment/fulfilment-saga';
import { FulfilmentSagaRepository, type SagaChange } from '../ports';
import { OrderingMetrics } from '../ordering-metrics';
import { UnitOfWork } from '../transactions';
import { FulfilmentSettings } from './fulfilment-settings';
import { commandMessage, commandType, outcomeMessage } from './fulfilment-messages';

/** An input of the saga: a reply of another module, applied at `now`. */
export type SagaInput = (saga: FulfilmentSaga, now: Date) => FulfilmentReaction;

/**
 * Runs a step's decision where its message was received (the trace context of its delivery), so
 * that the commands it sends continue that message's trace. Absent: the active context.
 */
export type WithinDelivery = <T>(work: () => T) => T;

/** A reply of another module about one order, for that order's saga. */
export interface SagaReply {
  orderId: string;
  input: SagaInput;
  within?: WithinDelivery;
}

const here: WithinDelivery = (work) => work();

/**
 * Runs the fulfilment sagas (the process manager): loads sagas under a lock, lets each decide, and
 * writes what they decided (their state, their commands in ordering's outbox, the orders' final
 * status) in the same transaction. `startAll` and `reactAll` run in the transaction of the inbox
 * consumer that received the messages, one statement to lock and one to write for a whole batch;
 * `wakeDue` opens one transaction per saga it wakes.
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

  /** Starts the sagas of placed orders; a second start for an order does nothing. */
  async startAll(orders: readonly { order: OrderToFulfil; within?: WithinDelivery }[], now = new Date()) {
    const started = new Map<string, SagaChange>();
    for (const { order, within = here } of orders) {
      if (!started.has(order.orderId)) {
        const { saga, reaction } = FulfilmentSaga.start(order, this.settings.timeouts, now);
        started.set(
          order.orderId,
          within(() => this.decided(saga, reaction, now)),
        );
      }
    }
    await this.sagas.startAll([...started.values()]);
  }

  /**
   * Applies replies to their orders' sagas, in the order given (two replies about one order, the
   * second to the saga as the first left it). A reply for an order without a saga is not ours:
   * logged, dropped.
   */
  async reactAll(replies: readonly SagaReply[], now = new Date()): Promise<void> {
    const locked = await this.sagas.lockAll([...new Set(replies.map((reply) => reply.orderId))]);
    const sagas = new Map(locked.map((saga) => [saga.orderId, saga]));
    const changes = new Map<string, SagaChange>();
    for (const { orderId, input, within = here } of replies) {
      const saga = sagas.get(orderId);
      if (!saga) {
        this.logger.warn(`A fulfilment reply for order ${orderId}, which has no saga, was ignored`);
        continue;
      }
      const change = within(() => this.decided(saga, input(saga, now), now));
      const earlier = changes.get(orderId);
      if (change.changed) {
        changes.set(orderId, {
          saga,
          messages: [...(earlier?.messages ?? []), ...change.messages],
          outcome: earlier?.outcome ?? change.outcome,
        });
      }
    }
    await this.save([...changes.values()], now);
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
          const change = this.decided(saga, saga.wake(now, { commandUndelivered }), now);
          await this.save(change.changed ? [change] : [], now);
          return change.changed;
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
      await this.unitOfWork.run(() => this.startAll([{ order }], now));
    }
    return orphans.length;
  }

  private async save(changes: readonly SagaChange[], now: Date): Promise<void> {
    if (changes.length === 0) {
      return;
    }
    await this.sagas.saveAll(changes);
    for (const { saga, outcome } of changes) {
      if (outcome) {
        const started = saga.snapshot().history[0];
        this.metrics.orderSettled(outcome, started?.input === 'Started' ? new Date(started.at) : undefined, now);
      }
    }
  }

  /**
   * A step of the saga as a span, `fulfilment <input>` (the reply or timer it reacted to), in
   * which its messages are made: the commands it records carry this span's context onward.
   */
  private decided(saga: FulfilmentSaga, reaction: FulfilmentReaction, now: Date): SagaChange & { changed: boolean } {
    if (!reaction.changed) {
      return { saga, messages: [], outcome: null, changed: false };
    }
    const entry = saga.snapshot().history.at(-1);
    return inSpanSync(
      `fulfilment ${entry?.input ?? 'step'}`,
      {
        attributes: {
          'order.id': saga.orderId,
          'fulfilment.input': entry?.input ?? '',
          'fulfilment.step': entry?.step ?? '',
          ...(entry?.sent ? { 'fulfilment.sent': entry.sent } : {}),
        },
      },
      () => ({
        saga,
        messages: [
          ...reaction.commands.map((command) => commandMessage(command, now)),
          ...(reaction.orderOutcome ? [outcomeMessage(saga.orderId, reaction.orderOutcome, now)] : []),
        ],
        outcome: reaction.orderOutcome,
        changed: true,
      }),
    );
  }
}
