/**
 * The payments module's public surface. Its facade and events arrive with the fulfilment saga (issue 5).
 */
export { PaymentsModule } from './payments.module';
