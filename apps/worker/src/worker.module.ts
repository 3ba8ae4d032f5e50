import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '@platform/config';
import { PlatformModule } from '@platform/defaults';

/**
 * The background deployable: the same modules as the api in their non-HTTP roles. It has the
 * platform's defaults now; the outbox relay, event consumers and saga timers join it as they land.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [PlatformModule.forRoot(config)] };
  }
}
