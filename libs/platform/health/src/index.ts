export { HealthModule } from './health.module';
export { listenForHealthChecks, type HealthServer } from './health-server';
