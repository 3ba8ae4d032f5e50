import { type ReadableSpan, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { Telemetry } from '@platform/observability';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * OpenTelemetry in the api, in the test's process: the SDK started as apps/api/src/instrumentation.ts
 * starts it, with an in-memory span exporter. jest's module loader bypasses the hooks through which
 * instrumentations patch http, pg, ioredis and kafkajs, so the spans here are the application's
 * own (outbox, relay, inbox, saga), Fastify's (through its diagnostics channel) and Prisma's; the
 * process test (`observability-process`) sees the patched libraries' spans in a real process.
 */
describe('Observability in the api (in-memory span exporter, /metrics)', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let t: TestApp;

  beforeAll(async () => {
    telemetry = Telemetry.start({
      serviceName: 'nest-modulith-api-test',
      serviceVersion: '0.0.0',
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    t = await startTestApp({ OUTBOX_POLL_INTERVAL_MS: '50', FULFILMENT_TIMER_INTERVAL_MS: '50' });
  });
  afterAll(async () => {
    await t.close();
    await telemetry.shutdown();
  });

  const spansOf = (traceId: string) =>
    exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  const names = (spans: ReadableSpan[]) => spans.map((span) => span.name);

  it('one order placed over HTTP is one connected trace: request, outbox write, relay, each consumer, saga steps', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const placed = await t
      .as('trace-1')
      .post('/orders')
      .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
      .send({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] })
      .expect(201);
    await waitFor(async () => (await t.as('trace-1').get(`/orders/${placed.body.id}`)).body.status === 'CONFIRMED');
    // The last hop: ordering's own order-confirmed, consumed to forget the cached order.
    await waitFor(() => names(spansOf(traceId)).includes('process ordering.order-confirmed.v1'));

    const spans = spansOf(traceId);
    const expected = [
      'outbox.record ordering',
      'send ordering.order-placed.v1',
      'process ordering.order-placed.v1',
      'fulfilment Started',
      'send inventory.reserve-stock.v1',
      'process inventory.reserve-stock.v1',
      'outbox.record inventory',
      'send inventory.stock-reserved.v1',
      'process inventory.stock-reserved.v1',
      'fulfilment StockReserved',
      'send payments.capture-payment.v1',
      'process payments.capture-payment.v1',
      'outbox.record payments',
      'send payments.payment-captured.v1',
      'process payments.payment-captured.v1',
      'fulfilment PaymentCaptured',
      'send ordering.order-confirmed.v1',
      'process ordering.order-confirmed.v1',
    ];
    expect(names(spans)).toEqual(expect.arrayContaining(expected));

    // Connected: the request's span is a child of the caller's (the traceparent sent), and every
    // other span's parent is a span of this trace, so the trace is one tree, not fragments.
    const ids = new Set(spans.map((span) => span.spanContext().spanId));
    const orphans = spans.filter((span) => {
      const parent = span.parentSpanContext?.spanId;
      return parent !== '00f067aa0ba902b7' && !(parent && ids.has(parent));
    });
    expect(orphans.map((span) => span.name)).toEqual([]);
    const request = spans.find((span) => span.parentSpanContext?.spanId === '00f067aa0ba902b7');
    // Fastify's request span (a SERVER span here; in a real process, under the http server span).
    expect(request?.attributes).toMatchObject({ 'http.route': '/orders', 'http.response.status_code': 201 });

    // Each hop descends from the step before it: the relay's send from the span the event was
    // recorded in, each consumer from its event's send, each saga step from its consumer (through
    // the spans in between, such as the inbox's transaction).
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const ancestorsOf = (name: string) => {
      const chain: string[] = [];
      let span = spans.find((candidate) => candidate.name === name);
      while ((span = span && byId.get(span.parentSpanContext?.spanId ?? ''))) chain.push(span.name);
      return chain;
    };
    expect(ancestorsOf('process ordering.order-placed.v1')[0]).toBe('send ordering.order-placed.v1');
    expect(ancestorsOf('fulfilment Started')).toContain('process ordering.order-placed.v1');
    expect(ancestorsOf('send inventory.reserve-stock.v1')).toContain('fulfilment Started');
    expect(ancestorsOf('process inventory.reserve-stock.v1')[0]).toBe('send inventory.reserve-stock.v1');
    expect(ancestorsOf('fulfilment PaymentCaptured')).toEqual(
      expect.arrayContaining(['process payments.payment-captured.v1', 'send payments.capture-payment.v1']),
    );
    expect(ancestorsOf('process ordering.order-confirmed.v1').at(-1)).toBe(request!.name);

    const send = spans.find((span) => span.name === 'send ordering.order-placed.v1')!;
    expect(send.kind).toBe(3); // PRODUCER
    expect(send.attributes).toMatchObject({
      'messaging.destination.name': 'ordering.order-placed.v1',
      'messaging.operation.type': 'send',
      'outbox.schema': 'ordering',
    });
    const processed = spans.find((span) => span.name === 'process ordering.order-placed.v1')!;
    expect(processed.kind).toBe(4); // CONSUMER
    expect(processed.attributes).toMatchObject({
      'messaging.consumer.group.name': 'ordering.fulfilment.order-placed',
      'inbox.outcome': 'applied',
    });
  });

  it('/metrics exposes the business, saga, outbox, inbox, cache and breaker series with plausible values', async () => {
    for (const customerId of ['metrics-1', 'decline-metrics-2']) {
      const placed = await t
        .as(customerId)
        .post('/orders')
        .send({ items: [{ sku: 'TEA-SENCHA-100G', quantity: 1 }] })
        .expect(201);
      await waitFor(async () => (await t.as(customerId).get(`/orders/${placed.body.id}`)).body.status !== 'PENDING');
    }
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);
    await t.http.get('/catalog/products/TEA-SENCHA-100G').expect(200);

    const response = await t.http.get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const value = (series: string) => {
      const line = response.text.split('\n').find((candidate) => candidate.startsWith(series));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(value('orders_placed_total')).toBeGreaterThanOrEqual(3);
    expect(value('orders_confirmed_total')).toBeGreaterThanOrEqual(2);
    expect(value('orders_cancelled_total{reason="PAYMENT_DECLINED"')).toBe(1);
    expect(value('fulfilment_duration_count{outcome="CONFIRMED"')).toBeGreaterThanOrEqual(2);
    expect(value('fulfilment_duration_sum{outcome="CONFIRMED"')).toBeGreaterThan(0);
    expect(value('outbox_pending{outbox_schema="ordering"')).toBeGreaterThanOrEqual(0);
    expect(value('outbox_oldest_pending_age{outbox_schema="ordering"')).toBeLessThan(60);
    expect(value('outbox_dead_letters{outbox_schema="payments"')).toBe(0);
    expect(value('inbox_dead_letters{inbox_schema="ordering"')).toBe(0);
    expect(value('cache_hits_total{cache_region="catalog.products",cache_layer="l1"')).toBeGreaterThanOrEqual(1);
    expect(value('cache_misses_total{cache_region="catalog.prices",cache_layer="l1"')).toBeGreaterThanOrEqual(1);
    expect(value('breaker_state{breaker_name="payment-gateway"')).toBe(0);
    expect(value('breaker_state{breaker_name="message-broker"')).toBe(0);
  });
});
