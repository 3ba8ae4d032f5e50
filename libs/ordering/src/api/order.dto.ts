import { z } from 'zod';
import { OrderLimits } from '../domain/order-limits';
import { FulfilmentStep } from '../domain/fulfilment/fulfilment-saga';
import { OrderStatus } from '../domain/order';

/** The customer is the bearer token's subject: a `customerId` (or any other field) in the body is refused. */
export const PlaceOrderRequest = z
  .strictObject({
    items: z
      .array(
        z.strictObject({
          sku: z.string().min(1).max(64),
          quantity: z.int().min(OrderLimits.minQuantity).max(OrderLimits.maxQuantity),
        }),
      )
      .min(1)
      .max(OrderLimits.maxLines),
  })
  .meta({ title: 'PlaceOrderRequest' });

/** A token subject that can be stored as a customer id (the column holds 100 characters). */
export const CustomerId = z
  .string()
  .max(100, { error: "the token's subject is longer than a customer id may be (100 characters)" })
  .regex(/^[\x21-\x7E]+$/, { error: "the token's subject is not printable ASCII without spaces" });

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7E]+$/, { error: 'must be 1 to 255 printable ASCII characters' })
  .optional();

export const OrderIdParams = z.strictObject({ id: z.uuid({ error: 'must be a UUID' }) });

export const OrderResponse = z
  .object({
    id: z.uuid(),
    customerId: z.string(),
    status: z.enum(Object.values(OrderStatus)),
    items: z.array(z.object({ sku: z.string(), quantity: z.int(), unitPriceMinor: z.int() })),
    totalMinor: z.int().meta({ description: 'Sum of quantity × unitPriceMinor, in minor units of currency' }),
    currency: z.string(),
    createdAt: z.iso.datetime(),
    cancellationReason: z.string().optional().meta({ description: 'Present when status is CANCELLED' }),
  })
  .meta({ title: 'Order' });

export const FulfilmentResponse = z
  .object({
    orderId: z.uuid(),
    step: z.enum(Object.values(FulfilmentStep)),
    cancellationReason: z.string().optional(),
    deadlineAt: z.iso.datetime().optional().meta({ description: 'The deadline of the step the saga waits in' }),
    lateCapture: z
      .object({ captureId: z.string(), refundStatus: z.string() })
      .optional()
      .meta({ description: 'A capture that succeeded after the cancellation, and its refund' }),
    startedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    history: z.array(
      z.object({
        at: z.iso.datetime(),
        input: z.string(),
        step: z.string(),
        sent: z.string().optional(),
        note: z.string().optional(),
      }),
    ),
  })
  .meta({ title: 'Fulfilment' });
