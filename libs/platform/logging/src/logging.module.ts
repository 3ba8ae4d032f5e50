import type { IncomingMessage } from 'node:http';
import { Module, RequestMethod } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@platform/config';
import { traceFields } from '@platform/observability';
import { LoggerModule } from 'nestjs-pino';
import { requestIdFor } from './request-id';

/** Structured JSON logs (pino); one line per request, the request id and the trace ids on every line. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
        pinoHttp: {
          level: config.log.level,
          // Every line written inside a span carries its trace_id and span_id.
          mixin: traceFields,
          genReqId: (request: IncomingMessage & { id?: string }) => request.id ?? requestIdFor(request),
          quietReqLogger: true,
          customAttributeKeys: { reqId: 'requestId' },
          autoLogging: config.log.httpRequests,
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              url: req.url,
            }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
