import type { IntegrationEvent } from '@platform/messaging';
import { Capture, CaptureStatus, type CaptureState } from '../domain/capture';
import {
  type CaptureRequest,
  type CaptureResult,
  PaymentGateway,
  type RefundRequest,
  type RefundResult,
} from './payment-gateway';
import { CaptureRepository } from './ports';
import { EventOutbox, UnitOfWork } from './transactions';

/*
 * In-memory stand-ins for the ports of payments' command handlers, for their specs: the handlers'
 * decisions, without a database or a provider. Not wired anywhere.
 */

export class FakeUnitOfWork extends UnitOfWork {
  open = false;

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.open = true;
    try {
      return await work();
    } finally {
      this.open = false;
    }
  }
}

export class FakeCaptures extends CaptureRepository {
  readonly rows = new Map<string, CaptureState>();
  /** Runs before saveOutcome or saveRefundOutcome looks at the row: a test plays another handler there. */
  beforeSaveOutcome: (() => void) | null = null;

  /** `outbox` receives the events saveOutcome saves with the capture, as one statement would. */
  constructor(private readonly outbox: FakeOutbox) {
    super();
  }

  async addIfAbsent(capture: Capture): Promise<boolean> {
    if (this.rows.has(capture.orderId)) {
      return false;
    }
    this.rows.set(capture.orderId, capture.snapshot());
    return true;
  }

  lock(orderId: string): Promise<Capture | null> {
    return this.find(orderId);
  }

  async find(orderId: string): Promise<Capture | null> {
    const row = this.rows.get(orderId);
    return row ? Capture.restore(row) : null;
  }

  async saveAttempts(capture: Capture): Promise<void> {
    this.rows.set(capture.orderId, { ...this.rows.get(capture.orderId)!, attempts: capture.snapshot().attempts });
  }

  async saveOutcome(capture: Capture, loadedVersion: number, events: readonly IntegrationEvent[]): Promise<boolean> {
    const saved = this.saveIf(capture, loadedVersion, [CaptureStatus.Pending, CaptureStatus.Failed]);
    if (saved) {
      this.outbox.events.push(...events);
    }
    return saved;
  }

  async saveRefundAttempts(capture: Capture): Promise<void> {
    const { refundAttempts } = capture.snapshot();
    this.rows.set(capture.orderId, { ...this.rows.get(capture.orderId)!, refundAttempts });
  }

  async saveRefundOutcome(capture: Capture, loadedVersion: number): Promise<boolean> {
    return this.saveIf(capture, loadedVersion, [CaptureStatus.Captured]);
  }

  private saveIf(capture: Capture, loadedVersion: number, statuses: readonly CaptureStatus[]): boolean {
    const interference = this.beforeSaveOutcome;
    this.beforeSaveOutcome = null;
    interference?.();
    const row = this.rows.get(capture.orderId)!;
    if (row.version !== loadedVersion || !statuses.includes(row.status)) {
      return false;
    }
    this.rows.set(capture.orderId, capture.snapshot());
    return true;
  }
}

/** Answers each call with the next queued answer (an Error is thrown), or a success. */
export class FakeGateway extends PaymentGateway {
  readonly requests: { request: CaptureRequest; inUnitOfWork: boolean }[] = [];
  readonly answers: (CaptureResult | Error)[] = [];
  readonly refundRequests: { request: RefundRequest; inUnitOfWork: boolean }[] = [];
  readonly refundAnswers: (RefundResult | Error)[] = [];

  constructor(private readonly unitOfWork: FakeUnitOfWork) {
    super();
  }

  async capture(request: CaptureRequest): Promise<CaptureResult> {
    this.requests.push({ request, inUnitOfWork: this.unitOfWork.open });
    return answer(this.answers.shift() ?? { status: 'CAPTURED', captureId: 'cap-1' });
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    this.refundRequests.push({ request, inUnitOfWork: this.unitOfWork.open });
    return answer(this.refundAnswers.shift() ?? { refundId: 'ref-1' });
  }
}

function answer<Result>(queued: Result | Error): Result {
  if (queued instanceof Error) {
    throw queued;
  }
  return queued;
}

/** Refuses a record outside a unit of work: an event must commit with the change it announces. */
export class FakeOutbox extends EventOutbox {
  readonly events: IntegrationEvent[] = [];

  constructor(private readonly unitOfWork: FakeUnitOfWork) {
    super();
  }

  async record(events: readonly IntegrationEvent[]): Promise<void> {
    if (!this.unitOfWork.open) {
      throw new Error('An event was recorded outside a unit of work');
    }
    this.events.push(...events);
  }
}
