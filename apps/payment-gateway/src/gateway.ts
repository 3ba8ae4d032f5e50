/**
 * A simulated external payment provider: captures with idempotency keys, deterministic declines, and faults
 * (latency, error rate, hang, outage) switched on at runtime. Plain Fastify, in memory, no Nest: it stands in for
 * a third party, so nothing here is shared with the modules. See ../README.md.
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

// --- The provider: captures, declines, idempotency ----------------------------------------------------------

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

export interface Capture {
  captureId: string;
  reference: string;
  status: 'CAPTURED' | 'DECLINED';
  declineReason?: 'AMOUNT_LIMIT_EXCEEDED' | 'CARD_DECLINED';
  amountMinor: number;
  currency: string;
  /** When the provider decided, declines included. */
  capturedAt: string;
}

/** What the simulator has seen, for tests to count. Reset clears it in place, so references stay valid. */
export interface GatewayState {
  /** Every POST /captures that reached the simulator: faulted, invalid, replayed and conflicting ones too. */
  requests: number;
  /** The charges: CAPTURED results only, one per idempotency key. */
  charges: Capture[];
  declines: Capture[];
}

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

type CaptureOutcome = { kind: 'created' | 'replayed'; capture: Capture } | { kind: 'conflict' };

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
function capture(
  byKey: Map<string, { fingerprint: string; capture: Capture }>,
  state: GatewayState,
  key: string,
  request: CaptureRequest,
): CaptureOutcome {
  const { reference, customerId, amountMinor, currency } = request;
  const fingerprint = JSON.stringify([reference, customerId, amountMinor, currency]);
  const previous = byKey.get(key);
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
  byKey.set(key, { fingerprint, capture: result });
  (result.status === 'CAPTURED' ? state.charges : state.declines).push(result);
  return { kind: 'created', capture: result };
}

// --- Faults -------------------------------------------------------------------------------------------------

export const faultsSchema = z.strictObject({
  /** Added before each capture is handled. */
  latencyMs: z.number().int().min(0).max(600_000).default(0),
  /** The fraction of captures (0..1) that get a 500, decided before anything is charged. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Captures are never answered; the connection stays open until the client gives up. */
  hang: z.boolean().default(false),
  /** Capture connections are reset without an HTTP response, as when the provider is unreachable. */
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
  const state: GatewayState = { requests: 0, charges: [], declines: [] };
  const byKey = new Map<string, { fingerprint: string; capture: Capture }>();
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
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? header.join(', ') : (header ?? '');
    const errors: FieldError[] = IDEMPOTENCY_KEY.test(key)
      ? []
      : [{ in: 'header', field: 'Idempotency-Key', message: 'required: 1 to 255 printable ASCII characters' }];
    const parsed = captureRequestSchema.safeParse(request.body);
    if (!parsed.success) errors.push(...bodyErrors(parsed.error));
    if (!parsed.success || errors.length > 0) return void sendValidationProblem(reply, errors);

    const outcome = capture(byKey, state, key, parsed.data);
    if (outcome.kind === 'conflict') {
      const detail = 'This Idempotency-Key was already used with another request body.';
      return void sendProblem(reply, 409, 'idempotency-key-reused', 'Idempotency key reused', detail);
    }
    const { captureId, reference, status, declineReason } = outcome.capture;
    request.log.info({ captureId, reference, status, declineReason, replayed: outcome.kind === 'replayed' }, 'Capture');
    if (outcome.kind === 'replayed') reply.header('Idempotent-Replayed', 'true');
    reply.code(201).send(outcome.capture);
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
  }));
  app.post('/admin/reset', (request, reply) => {
    faults = noFaults();
    state.requests = 0;
    state.charges.length = 0;
    state.declines.length = 0;
    byKey.clear();
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
