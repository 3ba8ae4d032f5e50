-- The fulfilment saga of each placed order (libs/ordering/src/domain/fulfilment): its step, its
-- deadline and when the timer must look at it again. Durable, so that no restart loses a deadline.
CREATE TABLE "ordering"."fulfilment_sagas" (
    "order_id" UUID NOT NULL,
    "step" VARCHAR(24) NOT NULL,
    "cancellation_reason" VARCHAR(64),
    -- What the saga needs to (re-)send its commands: customer, lines, total, currency.
    "order_terms" JSONB NOT NULL,
    "deadline_at" TIMESTAMPTZ(3),
    "wake_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "late_capture_id" VARCHAR(255),
    "refund_status" VARCHAR(16),
    "history" JSONB NOT NULL DEFAULT '[]',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fulfilment_sagas_pkey" PRIMARY KEY ("order_id"),
    CONSTRAINT "fulfilment_sagas_step_known" CHECK ("step" IN
        ('AWAITING_STOCK', 'AWAITING_PAYMENT', 'RELEASING_STOCK', 'REFUNDING', 'CONFIRMED', 'CANCELLED')),
    CONSTRAINT "fulfilment_sagas_final_steps_sleep"
        CHECK (("step" IN ('CONFIRMED', 'CANCELLED')) = ("wake_at" IS NULL)),
    CONSTRAINT "fulfilment_sagas_refund_status_known"
        CHECK ("refund_status" IS NULL OR "refund_status" IN ('REQUESTED', 'REFUNDED', 'FAILED'))
);

-- The timer's query: sagas due now, oldest first. Final sagas are not in it.
CREATE INDEX "fulfilment_sagas_wake_at_idx" ON "ordering"."fulfilment_sagas"("wake_at") WHERE "wake_at" IS NOT NULL;

ALTER TABLE "ordering"."fulfilment_sagas" ADD CONSTRAINT "fulfilment_sagas_order_id_fkey"
    FOREIGN KEY ("order_id") REFERENCES "ordering"."orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
