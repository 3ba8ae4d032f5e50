import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { authenticateRequests, TokenVerifier } from '@platform/auth';
import type { AppConfig } from '@platform/config';
import { REQUEST_ID_HEADER, requestIdFor } from '@platform/logging';
import { Logger } from 'nestjs-pino';
import { acceptJsonBodiesOnly } from './json-body';
import { shedLoad } from './load-shedding';
import { sendProblem } from './problem-details.filter';
import { limitRate } from './rate-limiting';

/** Probes and scrapers: never shed, never rate limited. */
const INFRASTRUCTURE_ROUTES = ['/health/', '/metrics'];

export interface ApiDescription {
  title: string;
  description: string;
  version: string;
}

/**
 * Builds the HTTP application the same way for every deployable and for the tests: Fastify with a
 * body limit, problem+json for errors raised before routing, load shedding, bearer-token
 * authentication, rate limits per caller, helmet, CORS from configuration, OpenAPI at /docs. The
 * root module must import AuthModule (its AccessGuard decides who may call each route).
 */
export async function createHttpApp(
  rootModule: Parameters<typeof NestFactory.create>[0],
  config: AppConfig,
  api: ApiDescription,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: requestIdFor,
    // X-Forwarded-For names the client only when it comes from a configured proxy; otherwise the
    // peer address does, and a forged header changes nothing.
    trustProxy: config.http.trustedProxies.length > 0 ? config.http.trustedProxies : false,
    // Malformed URLs and over-long path parameters are refused by the router, before Nest.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendProblem(error, request, reply),
    // Nest logs through pino; Fastify's own request logging would double every line.
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  // Body errors (size, type, syntax) reach ProblemDetailsFilter through Nest's exception layer.
  acceptJsonBodiesOnly(fastify);
  await shedLoad(fastify, { ...config.http.loadShedding, neverShed: INFRASTRUCTURE_ROUTES });
  authenticateRequests(fastify, app.get(TokenVerifier));
  await limitRate(fastify, {
    ...config.http.rateLimit,
    redisUrl: config.redisUrl,
    redisTimeoutMs: config.cache.redisTimeoutMs,
    namespace: config.cache.namespace,
    exempt: INFRASTRUCTURE_ROUTES,
  });
  // Once shutdown starts, responses close their connection: keep-alive clients would otherwise
  // hold the server open until their idle timeout, past the grace period.
  let draining = false;
  fastify.addHook('preClose', async () => {
    draining = true;
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    if (draining) {
      void reply.header('connection', 'close');
    }
    return payload;
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // The OpenAPI UI at /docs uses inline styles and scripts.
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });

  if (config.http.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: config.http.corsOrigins,
      methods: ['GET', 'POST', 'PATCH'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'traceparent', 'tracestate'],
      exposedHeaders: [
        'location',
        'retry-after',
        REQUEST_ID_HEADER,
        'idempotent-replayed',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
      ],
      maxAge: 600,
    });
  }

  mountOpenApi(app, api);
  return app;
}

function mountOpenApi(app: INestApplication, api: ApiDescription): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(api.title)
      .setDescription(api.description)
      .setVersion(api.version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addSecurityRequirements('bearer')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
