import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { BrokerMessage } from './broker';

/**
 * An integration event: CloudEvents 1.0 attributes around a payload, plus the W3C trace context
 * captured when the event was recorded, so that consumers continue the producer's trace.
 */
export interface IntegrationEvent<Data = unknown> {
  specversion: '1.0';
  id: string;
  /** The module that published it, as a URI reference: `/modules/ordering`. */
  source: string;
  /** Versioned: `ordering.order-placed.v1`. Also the topic. */
  type: string;
  /** The aggregate the event is about; the broker key, so one aggregate's events keep their order. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  traceparent?: string;
  data: Data;
}

/** A published event type: its name (and topic) and the schema its payload always satisfies. */
export interface EventContract<Schema extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: Schema;
}

export type EventData<Contract extends EventContract> = z.output<Contract['schema']>;

const VERSIONED_TYPE = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$/;

/** Declares an event a module publishes, in its `contracts/` folder: `defineEvent('ordering.order-placed.v1', schema)`. */
export function defineEvent<Schema extends z.ZodType>(type: string, schema: Schema): EventContract<Schema> {
  if (!VERSIONED_TYPE.test(type)) {
    throw new Error(`Event type '${type}' must read <module>.<event-name>.v<version>, e.g. ordering.order-placed.v1`);
  }
  return { type, schema };
}

export class EventPayloadInvalid extends Error {
  constructor(type: string, detail: string) {
    super(`Payload of ${type} does not match its contract: ${detail}`);
    this.name = 'EventPayloadInvalid';
  }
}

/** Builds an event, validating its payload against the contract (publishing side). */
export function createEvent<Contract extends EventContract>(
  contract: Contract,
  subject: string,
  data: EventData<Contract>,
  options: { source: string; traceparent?: string; id?: string; time?: Date },
): IntegrationEvent<EventData<Contract>> {
  return {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    source: options.source,
    type: contract.type,
    subject,
    time: (options.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    ...(options.traceparent ? { traceparent: options.traceparent } : {}),
    data: parsePayload(contract, data),
  };
}

/** Validates a payload against its contract (both sides: before recording, and on consumption). */
export function parsePayload<Contract extends EventContract>(contract: Contract, data: unknown): EventData<Contract> {
  const result = contract.schema.safeParse(data);
  if (!result.success) {
    throw new EventPayloadInvalid(
      contract.type,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '),
    );
  }
  return result.data as EventData<Contract>;
}

/*
 * The CloudEvents Kafka protocol binding, binary content mode: attributes travel as `ce_`
 * headers and the payload is the message value. Both adapters use it, so messages look the same
 * whichever broker carries them.
 */
const ATTRIBUTE_HEADERS = ['id', 'source', 'type', 'subject', 'time', 'specversion'] as const;

export function toBrokerMessage(event: IntegrationEvent): BrokerMessage {
  const headers: Record<string, string> = { 'content-type': event.datacontenttype };
  for (const attribute of ATTRIBUTE_HEADERS) {
    headers[`ce_${attribute}`] = event[attribute];
  }
  if (event.traceparent) {
    // The CloudEvents distributed-tracing extension (ce_traceparent) is the event's own: the
    // context it was sent in. `traceparent` is the transport's, which an instrumented Kafka
    // client overwrites with its own span; consumers continue from ce_traceparent.
    headers.ce_traceparent = event.traceparent;
    headers.traceparent = event.traceparent;
  }
  return { topic: event.type, key: event.subject, value: JSON.stringify(event.data), headers };
}

export class MalformedMessage extends Error {
  constructor(detail: string) {
    super(`Not a CloudEvents message: ${detail}`);
    this.name = 'MalformedMessage';
  }
}

export function fromBrokerMessage(message: Pick<BrokerMessage, 'headers' | 'value'>): IntegrationEvent {
  const attribute = (name: (typeof ATTRIBUTE_HEADERS)[number]) => {
    const value = message.headers[`ce_${name}`];
    if (!value) {
      throw new MalformedMessage(`header ce_${name} is missing`);
    }
    return value;
  };
  if (attribute('specversion') !== '1.0') {
    throw new MalformedMessage(`specversion ${attribute('specversion')} is not 1.0`);
  }
  let data: unknown;
  try {
    data = JSON.parse(message.value);
  } catch {
    throw new MalformedMessage('the value is not JSON');
  }
  return {
    specversion: '1.0',
    id: attribute('id'),
    source: attribute('source'),
    type: attribute('type'),
    subject: attribute('subject'),
    time: attribute('time'),
    datacontenttype: 'application/json',
    ...(sentTraceparent(message.headers) ? { traceparent: sentTraceparent(message.headers) } : {}),
    data,
  };
}

/** The context an event was sent in: its ce_traceparent, or the transport's traceparent from older senders. */
export function sentTraceparent(headers: Readonly<Record<string, string>>): string | undefined {
  return headers.ce_traceparent || headers.traceparent || undefined;
}
