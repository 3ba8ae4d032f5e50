export { PlatformModule, runsMessaging, type ProcessRole } from './platform.module';
export { closeGracefullyOnSignals } from './graceful-shutdown';
export { BackgroundWork } from './background-work';
