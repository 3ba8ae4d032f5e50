export { PlatformModule } from './platform.module';
export { closeGracefullyOnSignals } from './graceful-shutdown';
