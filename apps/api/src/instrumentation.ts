import { Telemetry } from '@platform/observability';
import { version } from '../../../package.json';

// The first import of main.ts: instrumentations patch the libraries they instrument as they are
// loaded, so the SDK starts before Fastify, pg, ioredis, kafkajs and Prisma are.
Telemetry.start({ serviceName: 'nest-modulith-api', serviceVersion: version });
