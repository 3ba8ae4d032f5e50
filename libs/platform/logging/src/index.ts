export { LoggingModule } from './logging.module';
export { REQUEST_ID_HEADER, requestIdFor } from './request-id';
