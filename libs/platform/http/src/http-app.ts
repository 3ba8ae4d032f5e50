import fastifyHelmet from '@fastify/helmet';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@platform/config';
import { REQUEST_ID_HEADER, requestIdFor } from '@platform/logging';
import { Logger } from 'nestjs-pino';
import { acceptJsonBodiesOnly } from './json-body';
import { shedLoad } from './load-shedding';
import { sendProblem } from './problem-details.filter';

export interface ApiDescription {
  title: string;
  description: string;
  version: string;
}

/**
 * Builds the HTTP application the same way for every deployable and for the tests: Fastify with a
 * body limit, problem+json for errors raised before routing, helmet, OpenAPI at /docs.
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
  await shedLoad(fastify, { ...config.http.loadShedding, neverShed: ['/health/', '/metrics'] });
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

  mountOpenApi(app, api);
  return app;
}

function mountOpenApi(app: INestApplication, api: ApiDescription): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(api.title).setDescription(api.description).setVersion(api.version).build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
