import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { BackgroundWork } from '@platform/defaults';
import { FulfilmentProcess } from '../application/fulfilment/fulfilment-process';
import { FulfilmentSettings } from '../application/fulfilment/fulfilment-settings';

/** Sagas woken per round; a full round is followed at once by another. */
const BATCH = 100;

/**
 * The saga's clock, where the background work runs (the worker with Kafka, the api with the
 * in-process broker). Deadlines and re-sends live in the database (`wake_at`), not in timers of
 * this process: it only polls for sagas that are due, so a restart of every process loses none,
 * and several processes can poll at once (each saga is taken with SKIP LOCKED). It also starts
 * the saga of any order that should have one by now and has none (FulfilmentProcess.startOrphans).
 */
@Injectable()
export class FulfilmentTimer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('FulfilmentTimer');
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(FulfilmentProcess) private readonly process: FulfilmentProcess,
    @Inject(FulfilmentSettings) private readonly settings: FulfilmentSettings,
    @Inject(BackgroundWork) private readonly backgroundWork: BackgroundWork,
  ) {}

  onApplicationBootstrap(): void {
    if (this.backgroundWork.enabled) {
      this.schedule(0);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => {
      this.round = this.tick().finally(() => (this.round = null));
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let woken = 0;
    try {
      const now = new Date();
      woken = (await this.process.startOrphans(now, BATCH)) + (await this.process.wakeDue(now, BATCH));
    } catch (error) {
      this.logger.error(`Looking for due fulfilment sagas failed: ${(error as Error).message}`);
    }
    this.schedule(woken >= BATCH ? 0 : this.settings.timerIntervalMs);
  }
}
