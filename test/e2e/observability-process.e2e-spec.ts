import { createServer, type Server } from 'node:http';
import { startApiProcess, type AppProcess, freePort, spawnApp } from '../support/app-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { testIssuer } from '../support/test-issuer';
import { waitFor } from '../support/wait-for';

/** A span as OTLP/JSON carries it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  scope: string;
  service: string;
}

/**
 * A collector's front door, in the test: receives what the api exports over OTLP/HTTP (JSON) and
 * keeps every span, with the instrumentation scope and service that produced it.
 */
async function startOtlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const { resourceSpans = [] } = JSON.parse(body) as {
          resourceSpans?: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ scope: { name: string }; spans: Omit<OtlpSpan, 'scope' | 'service'>[] }>;
          }>;
        };
        for (const { resource, scopeSpans } of resourceSpans) {
          const service = resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const { scope, spans: scoped } of scopeSpans) {
            for (const span of scoped) spans.push({ ...span, scope: scope.name, service });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The api as `npm start` runs it, instrumentation preloaded by main.ts's first import: the
 * libraries' own instrumentations (http, Fastify, pg, Prisma) join the application's spans in one
 * trace, exported over OTLP; and the log lines written during a request carry its trace id.
 */
describe('Observability of the api process (OTLP export, auto-instrumentation, logs)', () => {
  let database: TestDatabase;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let api: AppProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await startOtlpReceiver();
    api = await startApiProcess({
      DATABASE_URL: database.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_HTTP_REQUESTS: 'true',
      // A machine busy with other suites delays the event loop: shedding on it is tested elsewhere.
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      OUTBOX_POLL_INTERVAL_MS: '50',
      FULFILMENT_TIMER_INTERVAL_MS: '50',
    });
  }, 90_000);
  afterAll(async () => {
    expect(await api.stop()).toBe(0);
    await receiver.close();
    await database.drop();
  });

  it('exports one trace per order, from the HTTP server span through pg, the relay, the consumers and the saga', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
    const authorization = `Bearer ${(await testIssuer()).tokenFor('trace-2')}`;
    const placed = await fetch(`${api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization, traceparent: `00-${traceId}-10f067aa0ba902b7-01` },
      body: JSON.stringify({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] }),
    });
    expect(placed.status).toBe(201);
    const { id } = (await placed.json()) as { id: string };
    await waitFor(
      async () =>
        ((await (await fetch(`${api.url}/orders/${id}`, { headers: { authorization } })).json()) as { status: string })
          .status === 'CONFIRMED',
    );

    const ofTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    const orphansOf = (spans: typeof receiver.spans) => {
      const ids = new Set(spans.map((span) => span.spanId));
      return spans.filter((span) => span.parentSpanId !== '10f067aa0ba902b7' && !ids.has(span.parentSpanId ?? ''));
    };
    // Spans come in the order they end: a send span ends once its consumers have handled the message
    // (the in-process broker's publish waits for them), after their own spans.
    await waitFor(() => {
      const spans = ofTrace();
      return spans.some((span) => span.name === 'process ordering.order-confirmed.v1') && orphansOf(spans).length === 0;
    }, 15_000).catch(() => undefined);
    const spans = ofTrace();
    const scopes = new Set(spans.map((span) => span.scope));
    expect([...scopes]).toEqual(
      expect.arrayContaining([
        '@opentelemetry/instrumentation-http',
        '@fastify/otel',
        '@opentelemetry/instrumentation-pg',
        '@opentelemetry/instrumentation-undici',
        'prisma',
        'nest-modulith',
      ]),
    );
    const server = spans.find((span) => span.kind === 2 && span.parentSpanId === '10f067aa0ba902b7');
    expect(server?.scope).toBe('@opentelemetry/instrumentation-http');
    // The call to the payment gateway (fetch): a CLIENT span, and the simulator's SERVER span under it.
    // (Not merely the trace's first fetch: the request's token may have had the JWKS fetched first.)
    const captured = spans.find((span) => span.name === 'POST /captures');
    const capture = spans.find((span) => span.spanId === captured?.parentSpanId);
    expect(capture).toMatchObject({ kind: 3, scope: '@opentelemetry/instrumentation-undici' });
    expect(spans.every((span) => span.service === 'nest-modulith-api')).toBe(true);

    expect(orphansOf(spans).map((span) => `${span.scope}: ${span.name}`)).toEqual([]);
    expect(spans.map((span) => span.name)).toEqual(
      expect.arrayContaining([
        'send ordering.order-placed.v1',
        'fulfilment Started',
        'process payments.capture-payment.v1',
        'fulfilment PaymentCaptured',
      ]),
    );
    // One span per statement, pg's, under Prisma's operation when Prisma sent it: no duplicate of
    // Prisma's own for the round trip or its serializing, no span for taking a pooled connection.
    const names = new Set(spans.map((span) => span.name));
    for (const duplicate of ['prisma:client:db_query', 'prisma:client:serialize', 'pg-pool.connect', 'pg.connect']) {
      expect(names.has(duplicate)).toBe(false);
    }
    // The request and its handler, no span per Fastify hook.
    expect(
      [...names].filter((name) => /^(onRequest|preParsing|preValidation|preHandler|onSend|onResponse) - /.test(name)),
    ).toEqual([]);
    expect([...names].some((name) => name.startsWith('handler - '))).toBe(true);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const underPrisma = spans.filter(
      (span) => span.name.startsWith('pg.query') && byId.get(span.parentSpanId ?? '')?.scope === 'prisma',
    );
    expect(underPrisma.length).toBeGreaterThan(0);
  });

  it('writes the trace id of the request on the log lines of that request', async () => {
    const traceId = '6bf92f3577b34da6a3ce929d0e0e4738';
    const response = await fetch(`${api.url}/orders/not-a-uuid`, {
      headers: {
        authorization: `Bearer ${(await testIssuer()).tokenFor('trace-3')}`,
        traceparent: `00-${traceId}-20f067aa0ba902b7-01`,
      },
    });
    expect(response.status).toBe(400);
    await waitFor(() => api.stdout.some((line) => line.includes(traceId)));
    const lines = api.stdout
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.trace_id === traceId);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'request completed', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) }),
      ]),
    );
  });

  it('the worker, whose HTTP port serves only its health checks, serves /metrics on METRICS_PORT', async () => {
    const port = await freePort();
    const worker = spawnApp('worker', {
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      METRICS_PORT: String(port),
      LOG_LEVEL: 'info',
    });
    try {
      let metrics = '';
      await waitFor(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
        metrics = response?.ok ? await response.text() : '';
        return metrics.includes('target_info');
      }, 60_000);
      expect(metrics).toContain('service_name="nest-modulith-worker"');
      // The exporter listens from the first line of main.ts; stop once the worker has booted.
      await waitFor(() => worker.stdout.some((line) => line.includes('Worker started')), 60_000);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  }, 90_000);
});
