import { createHash } from 'node:crypto';
import { type Context, context, isSpanContextValid, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { Coalescer, type SqlRow } from '@platform/database';
import {
  type BrokerMessage,
  type DeliveredMessage,
  type EventContract,
  type EventData,
  fromBrokerMessage,
  type IntegrationEvent,
  type MessageBroker,
  parsePayload,
  type RunningConsumer,
  sentTraceparent,
} from '@platform/messaging';
import { contextFromTraceparent, inSpan } from '@platform/observability';
import { isDependencyUnavailable } from '@platform/resilience';

import { inboxTables } from './inbox-tables';

/**
 * What a handler writes its effects through: one open transaction. The inbox does not know
 * Prisma; `SqlSession` from @platform/database satisfies this, and so does a small adapter over a
 * Prisma interactive transaction (`$queryRawUnsafe`).
 */
export interface SqlExecutor {
  query<Row extends SqlRow = SqlRow>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export type RunInTransaction = <T>(work: (tx: SqlExecutor) => Promise<T>) => Promise<T>;

/**
 * Runs each statement on its own, outside any transaction (autocommit), for instance
 * `{ query: (sql, params) => connection.withSession((session) => session.query(sql, params)) }`.
 * PostgreSQL runs such a statement as a transaction of its own: for one statement, the same as
 * BEGIN, the statement and COMMIT, in one round trip instead of three.
 */
export type RunStatement = SqlExecutor;

/**
 * Who opens the transactions in which a message's effects are written.
 *
 * - `'inbox'` (the default): the inbox opens one transaction, records the message in it and runs
 *   the handler inside it; effects and record commit together, so the message is applied exactly
 *   once. The handler must not do anything that outlives a rollback (an HTTP call).
 * - `'handler'`: the inbox checks the message is not recorded yet, runs the handler with no
 *   transaction open, and records the message once the handler resolves. The handler opens its own
 *   units of work, and may call another system between them (a payment provider) without holding a
 *   connection or a lock. A crash between the handler's effects and the record applies the message
 *   again: such a handler must be idempotent by itself, on a business key (the order it is about).
 */
export type InboxTransactionOwner = 'inbox' | 'handler';

interface InboxConsumerSettings<Contract extends EventContract> {
  /** Unique among consumers, stable across releases (it keys the inbox): `inventory.reserve-stock`. */
  name: string;
  /** The consuming module's PostgreSQL schema, where its inbox tables live. */
  schema: string;
  contract: Contract;
  /** Deliveries the handler gets before the message is dead-lettered (the last included). */
  maxAttempts: number;
}

/** A message of a batch handed to `handleBatch`, with the trace context it was delivered in. */
export interface InboxDelivery<Data = unknown> {
  event: IntegrationEvent<Data>;
  /** Runs `work` in the delivery's context (its CONSUMER span), where `handle` would have run it. */
  within<T>(work: () => T): T;
}

/** An event consumer of a module, as the module declares it. */
export type InboxConsumerDefinition<Contract extends EventContract = EventContract> = InboxConsumerSettings<Contract> &
  (
    | {
        transactionOwner?: 'inbox';
        /**
         * Applies the event. Every effect goes through `tx`: it commits together with the inbox
         * record, or not at all. A throw rolls both back and the message is delivered again, later.
         */
        handle(event: IntegrationEvent<EventData<Contract>>, tx: SqlExecutor): Promise<void>;
        /**
         * Applies several events at once, in delivery order, with set-based statements: the same
         * effects as `handle` on each in turn, in fewer round trips. Optional; a throw rolls the
         * batch back and its messages are applied again one by one, through `handle`.
         */
        handleBatch?(deliveries: readonly InboxDelivery<EventData<Contract>>[], tx: SqlExecutor): Promise<void>;
      }
    | {
        transactionOwner: 'handler';
        /**
         * Applies the event in units of work of its own; nothing is open when it is called. It must
         * be idempotent on a business key: it runs again when the process dies before the inbox
         * record. A throw leaves the message unrecorded and it is delivered again, later.
         */
        handle(event: IntegrationEvent<EventData<Contract>>): Promise<void>;
      }
  );

/** Infers the contract's payload type for `handle` in a definition written on its own. */
export function defineInboxConsumer<Contract extends EventContract>(
  definition: InboxConsumerDefinition<Contract>,
): InboxConsumerDefinition<Contract> {
  return definition;
}

export interface InboxLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface InboxCounters {
  /** Messages applied: handler run, effects and inbox record committed. */
  handled: number;
  /** Deliveries of a message already applied: nothing done. */
  duplicates: number;
  /** Handler runs that threw (nothing recorded); the message was retried or dead-lettered. */
  failedAttempts: number;
  /** Messages given up on: unreadable, breaking their contract, or still failing after maxAttempts. */
  deadLettered: number;
}

/** How many messages a consumer applies in one transaction at most (see InboxConsumer). */
export const DEFAULT_MAX_BATCH_SIZE = 32;

/** A delivery waiting for the consumer's next batch transaction. */
interface Waiting<Contract extends EventContract> {
  event: IntegrationEvent<EventData<Contract>>;
  /** The delivery's CONSUMER span: its handler runs under it. */
  context: Context;
}

/** How applying one message of a batch ended: each delivery gets its own. */
type Settled = { outcome: ApplyOutcome } | { error: unknown };

const settled = (applying: Promise<ApplyOutcome>): Promise<Settled> =>
  applying.then(
    (outcome) => ({ outcome }),
    (error: unknown) => ({ error }),
  );

/**
 * Consumes one event type with effectively-once effects on top of the broker's at-least-once
 * delivery: each message is recorded in the module's inbox in the same transaction as its effects
 * (or, for a handler that owns its transactions, right after them), so a redelivery (a crash before
 * the ack, a relay publishing twice) finds the record and does nothing. A handler that keeps
 * failing is dead-lettered after maxAttempts, so that its partition (the other messages of its
 * key, and the keys sharing the partition) moves on; unless it fails because a dependency is
 * unavailable (DependencyUnavailable from @platform/resilience, such as BreakerOpen, or an error
 * caused by one): then it is retried until the dependency is back, and an outage of Redis or a
 * provider never dead-letters a message.
 */
export class InboxConsumer<Contract extends EventContract = EventContract> {
  readonly counters: InboxCounters = { handled: 0, duplicates: 0, failedAttempts: 0, deadLettered: 0 };
  private running: RunningConsumer | null = null;
  /** The deliveries of an inbox-owned consumer, applied together while they arrive together. */
  private readonly batches: Coalescer<Waiting<Contract>, Settled> | null;
  /** A handler-owned consumer's check and record, each one statement for the messages at hand. */
  private readonly inboxStatements: { isRecorded: Coalescer<string, boolean>; record: Coalescer<string, void> } | null;

  constructor(
    private readonly broker: MessageBroker,
    private readonly definition: InboxConsumerDefinition<Contract>,
    private readonly runInTransaction: RunInTransaction,
    private readonly logger: InboxLog,
    /** The consumer group; instances of one consumer share it, and so share the work. */
    private readonly group: string = definition.name,
    /**
     * For a handler that owns its transactions: runs the inbox's check and its record, one statement
     * each, without a transaction around them. Without it, each is a transaction of runInTransaction.
     */
    private readonly runStatement?: RunStatement,
    /**
     * For a consumer whose transactions the inbox opens: messages delivered while a transaction of
     * the consumer is under way (from other partitions: a partition's next message waits for its
     * previous one) are applied together in its next transaction, this many at most. 1 applies
     * each in a transaction of its own.
     */
    maxBatchSize: number = DEFAULT_MAX_BATCH_SIZE,
  ) {
    inboxTables(definition.schema);
    if (!definition.name || definition.name.length > 200) {
      throw new Error(`Inbox consumer name '${definition.name}' must have 1 to 200 characters`);
    }
    if (!Number.isInteger(definition.maxAttempts) || definition.maxAttempts < 1) {
      throw new Error(`Inbox consumer ${definition.name}: maxAttempts must be a positive integer`);
    }
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
      throw new Error(`Inbox consumer ${definition.name}: maxBatchSize must be a positive integer`);
    }
    // With maxBatchSize 1 nothing is shared: each delivery has its own statements, several at once.
    const sharing = maxBatchSize > 1;
    this.batches =
      sharing && definition.transactionOwner !== 'handler'
        ? new Coalescer((batch) => this.applyBatch(batch), maxBatchSize)
        : null;
    this.inboxStatements =
      sharing && definition.transactionOwner === 'handler' && runStatement
        ? coalescedInboxStatements(definition.name, definition.schema, runStatement, maxBatchSize)
        : null;
  }

  /** The consumer's name, as its definition gives it. */
  get name(): string {
    return this.definition.name;
  }

  async start(): Promise<void> {
    if (this.running) {
      return;
    }
    const topic = this.definition.contract.type;
    // Subscribing does not wait for a producer to have created the topic.
    await this.broker.ensureTopics([topic]);
    this.running = await this.broker.consume({
      group: this.group,
      topics: [topic],
      handler: (message) => this.receive(message),
    });
  }

  /** Stops taking messages; resolves once the message being handled is done. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = null;
    await running?.stop();
  }

  /**
   * Handles one delivery. Resolves when the message is applied, a duplicate, or dead-lettered (the
   * broker may move on); rejects to have it delivered again. It runs in a CONSUMER span
   * (`process <type>`), child of the context the event was sent in, so the handler's queries and
   * the events it records continue the sender's trace; a span active on delivery (a Kafka
   * client's own) is linked.
   */
  receive(message: DeliveredMessage): Promise<void> {
    const type = this.definition.contract.type;
    const delivering = trace.getSpanContext(context.active());
    return inSpan(
      `process ${type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(sentTraceparent(message.headers)),
        links: delivering && isSpanContextValid(delivering) ? [{ context: delivering }] : [],
        attributes: {
          'messaging.system': this.broker.name,
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': type,
          'messaging.consumer.group.name': this.group,
          'messaging.message.id': message.headers.ce_id ?? '',
          'inbox.delivery_attempt': message.deliveryAttempt,
        },
      },
      async (span) => {
        span.setAttribute('inbox.outcome', await this.handleDelivery(message));
      },
    );
  }

  private async handleDelivery(message: DeliveredMessage): Promise<ApplyOutcome | 'dead-lettered'> {
    const { name, contract, maxAttempts } = this.definition;
    let envelope: IntegrationEvent | undefined;
    let event: IntegrationEvent<EventData<Contract>>;
    try {
      envelope = fromBrokerMessage(message);
      event = readEvent(contract, envelope);
    } catch (error) {
      // It can never succeed: retrying would only hold up its partition.
      await this.deadLetter(message, envelope, error as Error);
      return 'dead-lettered';
    }
    try {
      const outcome = await this.apply(event);
      this.counters[outcome === 'applied' ? 'handled' : 'duplicates'] += 1;
      return outcome;
    } catch (error) {
      this.counters.failedAttempts += 1;
      // A dependency that is down (Redis, a provider: DependencyUnavailable, an open breaker among
      // them) is waited for, as the outbox waits for the broker: the message is not at fault, and an
      // outage never dead-letters.
      if (message.deliveryAttempt < maxAttempts || isDependencyUnavailable(error)) {
        this.logger.warn(
          `Inbox ${name}: event ${event.id} failed (attempt ${message.deliveryAttempt} of ${maxAttempts}): ${(error as Error).message}`,
        );
        throw error;
      }
      await this.deadLetter(message, envelope, error as Error);
      return 'dead-lettered';
    }
  }

  private async apply(event: IntegrationEvent<EventData<Contract>>): Promise<ApplyOutcome> {
    if (this.definition.transactionOwner === 'handler' && this.inboxStatements) {
      // applyThenRecord's steps, each statement shared with the deliveries of the moment.
      if (await this.inboxStatements.isRecorded.submit(event.id)) {
        return 'duplicate';
      }
      await this.definition.handle(event);
      await this.inboxStatements.record.submit(event.id);
      return 'applied';
    }
    if (!this.batches) {
      return applyOnce(this.definition, this.runInTransaction, event, undefined, this.runStatement);
    }
    const result = await this.batches.submit({ event, context: context.active() });
    if ('error' in result) {
      throw result.error;
    }
    return result.outcome;
  }

  /**
   * One transaction at a time: under load deliveries pile up while a transaction runs, and the
   * next one takes them all (up to maxBatchSize), so the cost of a transaction (BEGIN, the inbox
   * record, COMMIT, the commit's flush) is shared; a lone message goes alone, as soon as it comes.
   * When a batch fails (one handler throws, a deadlock), its messages are applied again each in a
   * transaction of its own, so that only the failing one is retried or dead-lettered.
   */
  private async applyBatch(batch: Waiting<Contract>[]): Promise<Settled[]> {
    const applyAlone = (entry: Waiting<Contract>) =>
      settled(context.with(entry.context, () => applyOnce(this.definition, this.runInTransaction, entry.event)));
    if (batch.length === 1) {
      return [await applyAlone(batch[0]!)];
    }
    try {
      return (await this.applyInOneTransaction(batch)).map((outcome) => ({ outcome }));
    } catch {
      return Promise.all(batch.map(applyAlone));
    }
  }

  /**
   * One transaction for the batch: its messages recorded in one statement, then the new ones
   * applied in delivery order, by `handleBatch` when the consumer has one, else by `handle` for
   * each, under the message's own span. The batch's statements run in a
   * span of their own, linked to the messages' (OpenTelemetry's batch processing).
   */
  private applyInOneTransaction(batch: Waiting<Contract>[]): Promise<ApplyOutcome[]> {
    const { name, schema, contract } = this.definition;
    const definition = this.definition as InboxConsumerDefinition<Contract> & { transactionOwner?: 'inbox' };
    const { inbox } = inboxTables(schema);
    return inSpan(
      `process batch ${contract.type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: ROOT_CONTEXT,
        links: batch
          .map((entry) => trace.getSpanContext(entry.context))
          .filter((span) => span !== undefined && isSpanContextValid(span))
          .map((span) => ({ context: span! })),
        attributes: {
          'messaging.system': this.broker.name,
          'messaging.operation.type': 'process',
          'messaging.destination.name': contract.type,
          'messaging.consumer.group.name': this.group,
          'messaging.batch.message_count': batch.length,
        },
      },
      () =>
        this.runInTransaction(async (tx) => {
          const recorded = await tx.query<{ message_id: string }>(
            `INSERT INTO ${inbox} (consumer, message_id) SELECT $1, id FROM unnest($2::uuid[]) AS id
             ON CONFLICT DO NOTHING RETURNING message_id::text AS message_id`,
            [name, batch.map((entry) => entry.event.id)],
          );
          const toApply = new Set(recorded.map((row) => row.message_id));
          // The same message twice in a batch is applied once, by its first delivery.
          const outcomes: ApplyOutcome[] = batch.map((entry) =>
            toApply.delete(entry.event.id.toLowerCase()) ? 'applied' : 'duplicate',
          );
          const applied = batch.filter((_, index) => outcomes[index] === 'applied');
          if (definition.handleBatch && applied.length > 1) {
            await definition.handleBatch(
              applied.map((entry) => ({ event: entry.event, within: (work) => context.with(entry.context, work) })),
              tx,
            );
          } else {
            for (const entry of applied) {
              await context.with(entry.context, () => definition.handle(entry.event, tx));
            }
          }
          return outcomes;
        }),
    );
  }

  private async deadLetter(message: DeliveredMessage, envelope: IntegrationEvent | undefined, error: Error) {
    const { name, schema } = this.definition;
    const messageId = envelope && isUuid(envelope.id) ? envelope.id : contentId(message);
    // The whole envelope as received, or the raw message when it could not be read as one.
    const stored: unknown = envelope ?? {
      brokerMessage: { topic: message.topic, key: message.key, headers: message.headers, value: message.value },
    };
    await recordDeadLetter(this.runInTransaction, schema, name, messageId, stored, error, message.deliveryAttempt);
    this.counters.deadLettered += 1;
    this.logger.error(
      `Inbox ${name}: message ${messageId} (${message.topic}, key ${message.key}) dead-lettered after ${message.deliveryAttempt} attempt(s): ${error.message}`,
    );
  }
}

export type ApplyOutcome = 'applied' | 'duplicate';

/** The check and the record of a handler-owned consumer, without a transaction, coalesced. */
function coalescedInboxStatements(name: string, schema: string, runStatement: RunStatement, maxBatchSize: number) {
  const { inbox } = inboxTables(schema);
  return {
    isRecorded: new Coalescer<string, boolean>(async (ids) => {
      // One primary-key lookup per id, whatever the statistics say: a prepared statement's generic
      // plan for `message_id = ANY($2)`, made while the inbox had no statistics, scanned every row
      // of the consumer instead.
      const found = await runStatement.query<{ message_id: string }>(
        `SELECT recorded.message_id::text AS message_id
         FROM unnest($2::uuid[]) AS asked(id)
         CROSS JOIN LATERAL (SELECT message_id FROM ${inbox} WHERE consumer = $1 AND message_id = asked.id LIMIT 1) AS recorded`,
        [name, ids],
      );
      const recorded = new Set(found.map((row) => row.message_id));
      return ids.map((id) => recorded.has(id.toLowerCase()));
    }, maxBatchSize),
    record: new Coalescer<string, void>(async (ids) => {
      await runStatement.query(
        `INSERT INTO ${inbox} (consumer, message_id) SELECT $1, id FROM unnest($2::uuid[]) AS id ON CONFLICT DO NOTHING`,
        [name, ids],
      );
      return ids.map(() => undefined);
    }, maxBatchSize),
  };
}

/**
 * Applies an event once per consumer, as its definition's `transactionOwner` says;
 * `alsoInTransaction` runs in the transaction that records the message, or that finds it recorded
 * (replays delete their dead letter there). `runStatement`, if given, runs the single statements of
 * a handler that owns its transactions without a transaction around them.
 */
export function applyOnce<Contract extends EventContract>(
  definition: InboxConsumerDefinition<Contract>,
  runInTransaction: RunInTransaction,
  event: IntegrationEvent<EventData<Contract>>,
  alsoInTransaction?: (tx: SqlExecutor) => Promise<unknown>,
  runStatement?: RunStatement,
): Promise<ApplyOutcome> {
  return definition.transactionOwner === 'handler'
    ? applyThenRecord(definition, runInTransaction, event, alsoInTransaction, runStatement)
    : applyInInboxTransaction(definition, runInTransaction, event, alsoInTransaction);
}

/**
 * The inbox transaction: records (consumer, message id) and, if it was not there yet, runs the
 * handler, all in one transaction. Two deliveries of one message at once are safe: the second
 * INSERT waits for the first transaction and then sees its row (a duplicate), or, if it rolled
 * back, records the message itself.
 */
async function applyInInboxTransaction<Contract extends EventContract>(
  definition: InboxConsumerDefinition<Contract> & { transactionOwner?: 'inbox' },
  runInTransaction: RunInTransaction,
  event: IntegrationEvent<EventData<Contract>>,
  alsoInTransaction?: (tx: SqlExecutor) => Promise<unknown>,
): Promise<ApplyOutcome> {
  const { inbox } = inboxTables(definition.schema);
  return runInTransaction(async (tx) => {
    const recorded = await tx.query(
      `INSERT INTO ${inbox} (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1 AS recorded`,
      [definition.name, event.id],
    );
    if (recorded.length > 0) {
      await definition.handle(event, tx);
    }
    await alsoInTransaction?.(tx);
    return recorded.length > 0 ? 'applied' : 'duplicate';
  });
}

/**
 * For a handler that owns its transactions: a message already recorded is a duplicate; otherwise
 * the handler runs with no transaction open, and the message is recorded after it resolved. Between
 * the two, a crash, or another delivery of the same message at the same moment, runs the handler
 * again: that is why such a handler is idempotent on its own. A handler that throws leaves nothing
 * recorded.
 *
 * The check and the record are one statement each, so neither needs a transaction of its own:
 * with `runStatement` they run without one (one round trip each instead of three), which changes
 * nothing of the above, since nothing else was in those transactions. A replay's
 * `alsoInTransaction` (deleting the dead letter) is a second statement that must commit with the
 * record: with it, the check and the record each run in a transaction, as before.
 */
async function applyThenRecord<Contract extends EventContract>(
  definition: InboxConsumerDefinition<Contract> & { transactionOwner: 'handler' },
  runInTransaction: RunInTransaction,
  event: IntegrationEvent<EventData<Contract>>,
  alsoInTransaction?: (tx: SqlExecutor) => Promise<unknown>,
  runStatement?: RunStatement,
): Promise<ApplyOutcome> {
  const { inbox } = inboxTables(definition.schema);
  const inOneUnit = <T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> =>
    runStatement && !alsoInTransaction ? work(runStatement) : runInTransaction(work);
  const alreadyApplied = await inOneUnit(async (tx) => {
    const found = await tx.query(`SELECT 1 AS found FROM ${inbox} WHERE consumer = $1 AND message_id = $2`, [
      definition.name,
      event.id,
    ]);
    if (found.length > 0) {
      await alsoInTransaction?.(tx);
    }
    return found.length > 0;
  });
  if (alreadyApplied) {
    return 'duplicate';
  }
  await definition.handle(event);
  await inOneUnit(async (tx) => {
    await tx.query(`INSERT INTO ${inbox} (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      definition.name,
      event.id,
    ]);
    await alsoInTransaction?.(tx);
  });
  return 'applied';
}

/**
 * Checks that an envelope is an event this consumer can apply and validates its payload against
 * the contract. Throws when it is not; that never changes, so callers dead-letter it at once.
 */
export function readEvent<Contract extends EventContract>(
  contract: Contract,
  envelope: IntegrationEvent,
): IntegrationEvent<EventData<Contract>> {
  if (!isUuid(envelope.id)) {
    throw new Error(`Event id '${envelope.id}' is not a UUID (the inbox keys messages by UUID)`);
  }
  if (envelope.type !== contract.type) {
    throw new Error(`Event type ${envelope.type} is not ${contract.type}, the type this consumer reads`);
  }
  return { ...envelope, data: parsePayload(contract, envelope.data) };
}

/** Reads a stored dead letter back into an event (the envelope, or the raw message it came as). */
export function readStoredEvent<Contract extends EventContract>(
  contract: Contract,
  stored: unknown,
): IntegrationEvent<EventData<Contract>> {
  const raw = (stored as { brokerMessage?: Pick<BrokerMessage, 'headers' | 'value'> }).brokerMessage;
  return readEvent(contract, raw ? fromBrokerMessage(raw) : (stored as IntegrationEvent));
}

export async function recordDeadLetter(
  runInTransaction: RunInTransaction,
  schema: string,
  consumer: string,
  messageId: string,
  stored: unknown,
  error: Error,
  attempts: number,
): Promise<void> {
  const { deadLetters } = inboxTables(schema);
  // A message dead-lettered again (a redelivery after a crash before the ack) replaces its row.
  await runInTransaction((tx) =>
    tx.query(
      `INSERT INTO ${deadLetters} (consumer, message_id, event, error, attempts, dead_at)
       VALUES ($1, $2, $3::jsonb, left($4, 2000), $5, now())
       ON CONFLICT (consumer, message_id) DO UPDATE
       SET event = EXCLUDED.event, error = EXCLUDED.error, attempts = EXCLUDED.attempts, dead_at = EXCLUDED.dead_at`,
      [consumer, messageId, JSON.stringify(stored), error.message || String(error), attempts],
    ),
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * An id for a message without a usable one, derived from its content (a name-based UUID, version
 * 8): a redelivery of the same message lands on the same dead letter.
 */
function contentId(message: BrokerMessage): string {
  const headers = Object.entries(message.headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256')
    .update(JSON.stringify([message.topic, message.key, message.value, headers]))
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
