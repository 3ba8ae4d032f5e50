/**
 * A simulated external payment provider: captures and full refunds with idempotency keys, deterministic declines,
 * and faults (latency, error rate, hang, outage) switched on at runtime. Plain Fastify, in memory, no Nest: it stands
 * in for a third party, so nothing here is shared with the modules. See ../README.md.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { z } from 'zod';

// --- The provider: captures, declines, refunds, idempotency -------------------------------------------------

/** Above this amount (100,000.00 in minor units) every capture is declined. */
export const AMOUNT_LIMIT_MINOR = 10_000_000;
/** Customers whose id starts with this are declined, like a provider's test card that always declines. */
export const DECLINING_CUSTOMER_PREFIX = 'decline-';

export const captureRequestSchema = z.strictObject({
  reference: z.string().min(1).max(255),
  customerId: z.string().min(1).max(255),
  amountMinor: z.number().int().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, { error: 'expected a three-letter ISO 4217 code such as "EUR"' }),
});
export type CaptureRequest = z.output<typeof captureRequestSchema>;

/** A refund is of the whole capture: no body, or an empty object (an amount, say, is an unknown field). */
export const refundRequestSchema = z.strictObject({}).optional();

export interface Capture {
  captureId: string;
  reference: string;
  status: 'CAPTURED' | 'DECLINED';
  declineReason?: 'AMOUNT_LIMIT_EXCEEDED' | 'CARD_DECLINED';
  amountMinor: number;
  currency: string;
  /** When the provider decided, declines included. */
  capturedAt: string;
  /** Once refunded: the refund's id. */
  refundId?: string;
  /** Once refunded: when. */
  refundedAt?: string;
}

/** A full refund of a captured capture. */
export interface Refund {
  refundId: string;
  captureId: string;
  /** The capture's reference (the order id). */
  reference: string;
  amountMinor: number;
  currency: string;
  refundedAt: string;
}

/** What the simulator has seen, for tests to count. Reset clears it in place, so references stay valid. */
export interface GatewayState {
  /**
   * Every POST /captures and POST /captures/:captureId/refunds that reached the simulator: faulted, invalid,
   * replayed and conflicting ones too.
   */
  requests: number;
  /** The charges: CAPTURED results only, one per idempotency key; a refunded one has its refundId and refundedAt. */
  charges: Capture[];
  declines: Capture[];
  /** The refunds, one per refunded charge. */
  refunds: Refund[];
}

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** What the provider remembers, besides the state tests read. */
interface Ledger {
  capturesByKey: Map<string, { fingerprint: string; capture: Capture }>;
  capturesById: Map<string, Capture>;
  refundsByKey: Map<string, Refund>;
}

type CaptureOutcome = { kind: 'created' | 'replayed'; capture: Capture } | { kind: 'conflict' };

type RefundOutcome =
  | { kind: 'created' | 'replayed'; refund: Refund }
  | { kind: 'already-refunded'; refundId: string }
  | { kind: 'conflict' | 'unknown-capture' | 'declined-capture' };

function decide(request: CaptureRequest): Pick<Capture, 'status' | 'declineReason'> {
  if (request.amountMinor > AMOUNT_LIMIT_MINOR) return { status: 'DECLINED', declineReason: 'AMOUNT_LIMIT_EXCEEDED' };
  if (request.customerId.startsWith(DECLINING_CUSTOMER_PREFIX)) {
    return { status: 'DECLINED', declineReason: 'CARD_DECLINED' };
  }
  return { status: 'CAPTURED' };
}

/**
 * Looks the key up, decides and records, with no await in between: JavaScript runs it to the end before any other
 * request's handler starts, so two concurrent requests with one key can never both charge. (A provider doing I/O
 * here would have to store a pending promise per key instead.)
 */
function capture(ledger: Ledger, state: GatewayState, key: string, request: CaptureRequest): CaptureOutcome {
  const { reference, customerId, amountMinor, currency } = request;
  const fingerprint = JSON.stringify([reference, customerId, amountMinor, currency]);
  const previous = ledger.capturesByKey.get(key);
  if (previous) {
    return previous.fingerprint === fingerprint
      ? { kind: 'replayed', capture: previous.capture }
      : { kind: 'conflict' };
  }

  const result: Capture = {
    captureId: randomUUID(),
    reference,
    ...decide(request),
    amountMinor,
    currency,
    capturedAt: new Date().toISOString(),
  };
  ledger.capturesByKey.set(key, { fingerprint, capture: result });
  ledger.capturesById.set(result.captureId, result);
  (result.status === 'CAPTURED' ? state.charges : state.declines).push(result);
  return { kind: 'created', capture: result };
}

/**
 * Refunds a charge in full, once: like capture(), one synchronous section. A key already used replays its refund for
 * the same capture; a capture refunded already (under another key), declined or unknown gets no refund.
 */
function refund(ledger: Ledger, state: GatewayState, key: string, captureId: string): RefundOutcome {
  const previous = ledger.refundsByKey.get(key);
  if (previous) {
    return previous.captureId === captureId ? { kind: 'replayed', refund: previous } : { kind: 'conflict' };
  }
  const charge = ledger.capturesById.get(captureId);
  if (!charge) return { kind: 'unknown-capture' };
  if (charge.status !== 'CAPTURED') return { kind: 'declined-capture' };
  if (charge.refundId) return { kind: 'already-refunded', refundId: charge.refundId };

  const { reference, amountMinor, currency } = charge;
  const result: Refund = {
    refundId: randomUUID(),
    captureId,
    reference,
    amountMinor,
    currency,
    refundedAt: new Date().toISOString(),
  };
  charge.refundId = result.refundId;
  charge.refundedAt = result.refundedAt;
  ledger.refundsByKey.set(key, result);
  state.refunds.push(result);
  return { kind: 'created', refund: result };
}

// --- Faults -------------------------------------------------------------------------------------------------

export const faultsSchema = z.strictObject({
  /** Added before each capture or refund is handled. */
  latencyMs: z.number().int().min(0).max(600_000).default(0),
  /** The fraction of captures and refunds (0..1) that get a 500, decided before anything is charged or refunded. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Captures and refunds are never answered; the connection stays open until the client gives up. */
  hang: z.boolean().default(false),
  /** Capture and refund connections are reset without an HTTP response, as when the provider is unreachable. */
  outage: z.boolean().default(false),
});
export type Faults = z.output<typeof faultsSchema>;

const noFaults = (): Faults => faultsSchema.parse({});

/** Resets the connection (TCP RST), as an unreachable provider does; under inject() there is only the request. */
function resetConnection(request: FastifyRequest): void {
  const socket: Partial<Socket> = request.raw.socket;
  if (socket.resetAndDestroy) socket.resetAndDestroy();
  else request.raw.destroy();
}

// --- HTTP -----------------------------------------------------------------------------------------------------

export interface PaymentGatewayOptions {
  /** The faults at start; none when omitted. */
  faults?: Partial<Faults>;
  /** Decides error-rate failures (a request fails when random() < errorRate); Math.random by default. */
  random?: () => number;
  /** A pino logger; silent when omitted. */
  logger?: FastifyBaseLogger;
}

/** The Fastify instance, with what tests and the embedded mode need without going through HTTP. */
export type PaymentGateway = FastifyInstance & {
  readonly state: GatewayState;
  /** Replaces the faults (omitted fields are off), as PUT /admin/faults does; throws on invalid values. */
  setFaults(faults: Partial<Faults>): Faults;
};

const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

interface FieldError {
  in: 'header' | 'body';
  field: string;
  message: string;
}

function sendProblem(
  reply: FastifyReply,
  status: number,
  slug: string,
  title: string,
  detail: string,
  errors?: FieldError[],
): FastifyReply {
  const body = { type: `/problems/${slug}`, title, status, detail, ...(errors ? { errors } : {}) };
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** The Idempotency-Key header, and the field error when it is missing or malformed. */
function idempotencyKeyOf(request: FastifyRequest): { key: string; errors: FieldError[] } {
  const header = request.headers['idempotency-key'];
  const key = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const errors: FieldError[] = IDEMPOTENCY_KEY.test(key)
    ? []
    : [{ in: 'header', field: 'Idempotency-Key', message: 'required: 1 to 255 printable ASCII characters' }];
  return { key, errors };
}

function sendValidationProblem(reply: FastifyReply, errors: FieldError[]): FastifyReply {
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return sendProblem(reply, 400, 'validation-failed', 'Validation failed', detail, errors);
}

function bodyErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ in: 'body' as const, field: key, message: 'unknown field' }))
      : [{ in: 'body' as const, field: issue.path.join('.') || '(body)', message: issue.message }],
  );
}

/** A Fastify instance, not listening: `inject()` it, or `listen()` (see startPaymentGateway). */
export function createPaymentGateway(options: PaymentGatewayOptions = {}): PaymentGateway {
  const random = options.random ?? Math.random;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 64 * 1024,
    // close() ends every connection at once, idle or not: this provider finishes each request synchronously or
    // holds it on purpose (faults, ended by the preClose hook below), so there is nothing to wait for.
    forceCloseConnections: true,
  });
  const state: GatewayState = { requests: 0, charges: [], declines: [], refunds: [] };
  const ledger: Ledger = { capturesByKey: new Map(), capturesById: new Map(), refundsByKey: new Map() };
  let faults = faultsSchema.parse(options.faults ?? {});

  // Requests held by a fault (latency, hang), each with the function that ends it: close() ends them all at once.
  const held = new Set<() => void>();

  /**
   * Holds a request for `ms`, or until its client goes away when `ms` is undefined (hang). Resolves true when the
   * request should go on, false when its connection is gone. A client leaving during latency does not stop the
   * capture: like a real provider, the simulator finishes what it started (which is why clients retry with keys).
   */
  function hold(request: FastifyRequest, ms?: number): Promise<boolean> {
    const socket = request.raw.socket;
    return new Promise((resolve) => {
      const finish = (goOn: boolean) => {
        clearTimeout(timer);
        socket.off('close', onClientGone);
        held.delete(end);
        resolve(goOn);
      };
      const onClientGone = () => finish(false);
      const end = () => {
        request.raw.destroy(); // and with it the connection
        finish(false);
      };
      const timer = ms === undefined ? undefined : setTimeout(() => finish(true), ms);
      if (ms === undefined) socket.once('close', onClientGone);
      held.add(end);
    });
  }

  app.addHook('preClose', (done) => {
    for (const end of held) end();
    done();
  });

  /**
   * The provider's front door, run once the request is read and before anything else: resolves true when the request
   * gets through, false when it was answered (500), reset (outage) or held until its connection ended (hang).
   */
  async function passFaults(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const { outage, hang, latencyMs, errorRate } = faults;
    if (outage) {
      request.log.warn('Simulated outage: connection reset');
      reply.hijack();
      resetConnection(request);
      return false;
    }
    if (hang) {
      request.log.warn('Simulated hang: no response');
      await hold(request);
      reply.hijack();
      return false;
    }
    if (latencyMs > 0 && !(await hold(request, latencyMs))) {
      reply.hijack();
      return false;
    }
    if (errorRate > 0 && random() < errorRate) {
      sendProblem(reply, 500, 'provider-error', 'Provider error', 'Simulated failure: nothing was captured.');
      return false;
    }
    return true;
  }

  app.post('/captures', async (request, reply) => {
    state.requests += 1;
    if (!(await passFaults(request, reply))) return;

    // From here on, no await: validation, lookup, decision and record run as one synchronous section.
    const { key, errors } = idempotencyKeyOf(request);
    const parsed = captureRequestSchema.safeParse(request.body);
    if (!parsed.success) errors.push(...bodyErrors(parsed.error));
    if (!parsed.success || errors.length > 0) return void sendValidationProblem(reply, errors);

    const outcome = capture(ledger, state, key, parsed.data);
    if (outcome.kind === 'conflict') {
      const detail = 'This Idempotency-Key was already used with another request body.';
      return void sendProblem(reply, 409, 'idempotency-key-reused', 'Idempotency key reused', detail);
    }
    const { captureId, reference, status, declineReason } = outcome.capture;
    request.log.info({ captureId, reference, status, declineReason, replayed: outcome.kind === 'replayed' }, 'Capture');
    if (outcome.kind === 'replayed') reply.header('Idempotent-Replayed', 'true');
    reply.code(201).send(outcome.capture);
  });

  app.post<{ Params: { captureId: string } }>('/captures/:captureId/refunds', async (request, reply) => {
    state.requests += 1;
    if (!(await passFaults(request, reply))) return;

    // From here on, no await, as for captures.
    const { captureId } = request.params;
    const { key, errors } = idempotencyKeyOf(request);
    const parsed = refundRequestSchema.safeParse(request.body);
    if (!parsed.success) errors.push(...bodyErrors(parsed.error));
    if (!parsed.success || errors.length > 0) return void sendValidationProblem(reply, errors);

    const outcome = refund(ledger, state, key, captureId);
    switch (outcome.kind) {
      case 'conflict': {
        const detail = 'This Idempotency-Key was already used to refund another capture.';
        return void sendProblem(reply, 409, 'idempotency-key-reused', 'Idempotency key reused', detail);
      }
      case 'unknown-capture':
        return void sendProblem(reply, 404, 'capture-not-found', 'Capture not found', `No capture ${captureId}.`);
      case 'declined-capture': {
        const detail = `Capture ${captureId} was declined: nothing was charged, so nothing can be refunded.`;
        return void sendProblem(reply, 422, 'capture-not-refundable', 'Capture not refundable', detail);
      }
      case 'already-refunded': {
        const detail = `Capture ${captureId} was refunded already (refund ${outcome.refundId}), under another Idempotency-Key.`;
        return void sendProblem(reply, 409, 'capture-already-refunded', 'Capture already refunded', detail);
      }
    }
    const { refundId, reference } = outcome.refund;
    request.log.info({ refundId, captureId, reference, replayed: outcome.kind === 'replayed' }, 'Refund');
    if (outcome.kind === 'replayed') reply.header('Idempotent-Replayed', 'true');
    reply.code(201).send(outcome.refund);
  });

  // Admin routes, for tests, demos and chaos: never affected by faults.
  app.get('/health', () => ({ status: 'ok' }));
  app.get('/admin/faults', () => faults);
  app.put('/admin/faults', (request, reply) => {
    const parsed = faultsSchema.safeParse(request.body ?? {});
    if (!parsed.success) return void sendValidationProblem(reply, bodyErrors(parsed.error));
    faults = parsed.data;
    request.log.info({ faults }, 'Faults set');
    reply.send(faults);
  });
  app.get('/admin/charges', () => ({ count: state.charges.length, charges: state.charges }));
  app.get('/admin/stats', () => ({
    requests: state.requests,
    charges: state.charges.length,
    declines: state.declines.length,
    refunds: state.refunds.length,
  }));
  app.post('/admin/reset', (request, reply) => {
    faults = noFaults();
    state.requests = 0;
    state.charges.length = 0;
    state.declines.length = 0;
    state.refunds.length = 0;
    ledger.capturesByKey.clear();
    ledger.capturesById.clear();
    ledger.refundsByKey.clear();
    request.log.info('Faults and state reset');
    reply.code(204).send();
  });

  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, 404, 'not-found', 'Not found', `No route ${request.method} ${request.url}.`);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON (400), body too large (413), unsupported media type (415).
      const title = STATUS_CODES[status] ?? 'Bad request';
      return void sendProblem(reply, status, title.toLowerCase().replaceAll(' ', '-'), title, error.message);
    }
    request.log.error({ err: error }, 'Unexpected error');
    sendProblem(reply, 500, 'internal-error', 'Internal error', 'An unexpected error occurred.');
  });

  const setFaults = (value: Partial<Faults>): Faults => (faults = faultsSchema.parse(value));
  return Object.assign(app, { state, setFaults });
}

// --- Running it ---------------------------------------------------------------------------------------------

export interface RunningPaymentGateway {
  /** The base URL clients use, e.g. http://127.0.0.1:3100 (a wildcard host is reached through 127.0.0.1). */
  url: string;
  state: GatewayState;
  /** Replaces the faults (omitted fields are off), as PUT /admin/faults does. */
  setFaults(faults: Partial<Faults>): Faults;
  /** Stops listening and ends every request still held by a fault. Safe to call more than once. */
  close(): Promise<void>;
}

/** Starts the simulator listening. Port 0 (the default) takes any free port; the host defaults to 127.0.0.1. */
export async function startPaymentGateway(
  options: PaymentGatewayOptions & { host?: string; port?: number } = {},
): Promise<RunningPaymentGateway> {
  const { host = '127.0.0.1', port = 0, ...gatewayOptions } = options;
  const gateway = createPaymentGateway(gatewayOptions);
  await gateway.listen({ host, port });
  const address = gateway.server.address() as AddressInfo;
  const clientHost = ['0.0.0.0', '::', ''].includes(host)
    ? '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${clientHost}:${address.port}`,
    state: gateway.state,
    setFaults: (faults) => gateway.setFaults(faults),
    close: () => (closing ??= gateway.close().then(() => undefined)),
  };
}

// --- Environment (main.ts) ----------------------------------------------------------------------------------

const flag = z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'] });
const integer = (min: number, max: number) => {
  const error = `expected an integer between ${min} and ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

const environmentSchema = z.object({
  PORT: integer(0, 65535).default(3100),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FAULT_LATENCY_MS: integer(0, 600_000).default(0),
  FAULT_ERROR_RATE: z.coerce
    .number({ error: 'expected a number between 0 and 1' })
    .min(0, { error: 'expected a number between 0 and 1' })
    .max(1, { error: 'expected a number between 0 and 1' })
    .default(0),
  FAULT_HANG: flag.default(false),
  FAULT_OUTAGE: flag.default(false),
});

export interface GatewayEnvironment {
  host: string;
  port: number;
  logLevel: z.output<typeof environmentSchema>['LOG_LEVEL'];
  faults: Faults;
}

/** Reads PORT, HOST, LOG_LEVEL and FAULT_*; empty means unset. Throws an Error naming every bad variable. */
export function readGatewayEnvironment(env: NodeJS.ProcessEnv): GatewayEnvironment {
  const present = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return `  - ${name}: ${issue.message} (got ${JSON.stringify(env[name])})`;
    });
    throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    faults: {
      latencyMs: e.FAULT_LATENCY_MS,
      errorRate: e.FAULT_ERROR_RATE,
      hang: e.FAULT_HANG,
      outage: e.FAULT_OUTAGE,
    },
  };
}
