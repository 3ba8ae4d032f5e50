import { checkRules } from '@platform/ddd';
import { ReservationLinesMustHaveDistinctSkus } from './rules/reservation-lines-must-have-distinct-skus.rule';
import { ReservationMustHaveAtLeastOneLine } from './rules/reservation-must-have-at-least-one-line.rule';
import { ReservedQuantityMustBeWithinLimits } from './rules/reserved-quantity-must-be-within-limits.rule';
import type { Stock } from './stock';

export const ReservationStatus = {
  /** Every line's quantity is held. */
  Reserved: 'RESERVED',
  /** Nothing was held: a line could not be served (see the rejection). */
  Rejected: 'REJECTED',
  /** What was held went back to stock; or, without lines, the release came first (a tombstone). */
  Released: 'RELEASED',
} as const;
export type ReservationStatus = (typeof ReservationStatus)[keyof typeof ReservationStatus];

export const RejectionReason = {
  /** A known sku had fewer units available than asked for. */
  OutOfStock: 'OUT_OF_STOCK',
  /** A sku has no stock record at all. */
  UnknownSku: 'UNKNOWN_SKU',
} as const;
export type RejectionReason = (typeof RejectionReason)[keyof typeof RejectionReason];

export interface ReservationLine {
  sku: string;
  quantity: number;
}

export interface Rejection {
  reason: RejectionReason;
  /** The skus that could not be served, in line order. */
  skus: string[];
}

export interface ReservationState {
  orderId: string;
  status: ReservationStatus;
  lines: ReservationLine[];
  /** Present when, and only when, the status is REJECTED. */
  rejection: Rejection | null;
}

/**
 * The stock an order holds: one reservation per order, decided once. Reserving is all or nothing:
 * either every line is held or none is and the reservation is REJECTED with the skus that were
 * short. Its decision never changes afterwards except RESERVED -> RELEASED, so a repeated command
 * can be answered from it.
 */
export class Reservation {
  private constructor(private state: ReservationState) {}

  /**
   * Decides the reservation of `lines` for an order against the current stock of their skus
   * (`stock`: the locked stock of every known sku among them; an absent sku is unknown).
   * When every line can be served, the stock is changed here; otherwise nothing is touched.
   */
  static reserve(orderId: string, lines: readonly ReservationLine[], stock: ReadonlyMap<string, Stock>): Reservation {
    checkRules(
      new ReservationMustHaveAtLeastOneLine(lines.length),
      new ReservationLinesMustHaveDistinctSkus(lines.map((line) => line.sku)),
      ...lines.map((line) => new ReservedQuantityMustBeWithinLimits(line.sku, line.quantity)),
    );
    const copied = lines.map(({ sku, quantity }) => ({ sku, quantity }));
    const rejected = (reason: RejectionReason, skus: string[]) =>
      new Reservation({ orderId, status: ReservationStatus.Rejected, lines: copied, rejection: { reason, skus } });

    const unknown = lines.filter((line) => !stock.has(line.sku));
    if (unknown.length > 0) {
      return rejected(
        RejectionReason.UnknownSku,
        unknown.map((line) => line.sku),
      );
    }
    const short = lines.filter((line) => !stock.get(line.sku)!.canReserve(line.quantity));
    if (short.length > 0) {
      return rejected(
        RejectionReason.OutOfStock,
        short.map((line) => line.sku),
      );
    }
    for (const line of lines) {
      stock.get(line.sku)!.reserve(line.quantity);
    }
    return new Reservation({ orderId, status: ReservationStatus.Reserved, lines: copied, rejection: null });
  }

  /**
   * The release of an order that has no reservation yet (commands travel on different topics, so a
   * release can overtake its reserve): RELEASED, holding nothing, so that the reserve, when it
   * comes, finds the order released and reserves nothing.
   */
  static tombstone(orderId: string): Reservation {
    return new Reservation({ orderId, status: ReservationStatus.Released, lines: [], rejection: null });
  }

  static restore(state: ReservationState): Reservation {
    return new Reservation({
      ...state,
      lines: state.lines.map((line) => ({ ...line })),
      rejection: state.rejection ? { ...state.rejection, skus: [...state.rejection.skus] } : null,
    });
  }

  get orderId(): string {
    return this.state.orderId;
  }

  get status(): ReservationStatus {
    return this.state.status;
  }

  /** Whether this reservation holds stock, which a release would return. */
  get holdsStock(): boolean {
    return this.state.status === ReservationStatus.Reserved;
  }

  /** The skus whose stock a release changes (none unless the reservation holds stock). */
  get heldSkus(): string[] {
    return this.holdsStock ? this.state.lines.map((line) => line.sku) : [];
  }

  /**
   * Returns what is held to `stock` (the locked stock of heldSkus) and becomes RELEASED. Returns
   * false, changing nothing, when nothing is held: already released, rejected, or a tombstone.
   */
  release(stock: ReadonlyMap<string, Stock>): boolean {
    if (!this.holdsStock) {
      return false;
    }
    for (const line of this.state.lines) {
      const held = stock.get(line.sku);
      if (!held) {
        throw new Error(`The stock of ${line.sku}, held for order ${this.state.orderId}, was not given to release`);
      }
      held.release(line.quantity);
    }
    this.state = { ...this.state, status: ReservationStatus.Released };
    return true;
  }

  snapshot(): Readonly<ReservationState> {
    return Reservation.restore(this.state).state;
  }
}
