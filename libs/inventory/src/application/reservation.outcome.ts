import { type RejectionReason, type Reservation, type ReservationLine, ReservationStatus } from '../domain/reservation';

/** What ReserveStock and ReleaseStock answer: the reservation of the order as it now stands. */
export type ReservationOutcome =
  | { orderId: string; status: 'RESERVED'; lines: ReservationLine[] }
  | { orderId: string; status: 'REJECTED'; reason: RejectionReason; skus: string[] }
  | { orderId: string; status: 'RELEASED' };

export function outcomeOf(reservation: Reservation): ReservationOutcome {
  const { orderId, status, lines, rejection } = reservation.snapshot();
  switch (status) {
    case ReservationStatus.Reserved:
      return { orderId, status, lines };
    case ReservationStatus.Rejected:
      return { orderId, status, reason: rejection!.reason, skus: rejection!.skus };
    case ReservationStatus.Released:
      return { orderId, status };
  }
}
