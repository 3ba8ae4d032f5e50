-- Refunds: a CAPTURED capture may be refunded in full, once (the fulfilment saga asks when a capture
-- succeeded for an order it had already cancelled). REFUNDED is final. A refund that failed leaves the
-- capture CAPTURED, with its error; the next command asks the provider again with the same idempotency key,
-- derived from the order (order-<id>-refund), so it is not stored.
ALTER TABLE "payments"."captures"
    ADD COLUMN "refund_id" VARCHAR(255),
    ADD COLUMN "refund_attempts" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "refund_last_error" VARCHAR(2000),
    ADD COLUMN "refunded_at" TIMESTAMPTZ(3);

ALTER TABLE "payments"."captures"
    DROP CONSTRAINT "captures_status_known",
    ADD CONSTRAINT "captures_status_known"
        CHECK ("status" IN ('PENDING', 'CAPTURED', 'DECLINED', 'FAILED', 'REFUNDED')),
    -- A refunded capture keeps the provider's id and the time of its capture decision.
    DROP CONSTRAINT "captures_capture_id_when_decided",
    ADD CONSTRAINT "captures_capture_id_when_decided"
        CHECK ("status" NOT IN ('CAPTURED', 'DECLINED', 'REFUNDED') OR "capture_id" IS NOT NULL),
    DROP CONSTRAINT "captures_decided_at_when_decided",
    ADD CONSTRAINT "captures_decided_at_when_decided"
        CHECK (("status" IN ('CAPTURED', 'DECLINED', 'REFUNDED')) = ("decided_at" IS NOT NULL)),
    -- The domain rule OnlyCapturedPaymentCanBeRefunded: refund attempts and a refund only once captured.
    ADD CONSTRAINT "captures_refund_id_only_when_refunded"
        CHECK (("status" = 'REFUNDED') = ("refund_id" IS NOT NULL)),
    ADD CONSTRAINT "captures_refunded_at_only_when_refunded"
        CHECK (("status" = 'REFUNDED') = ("refunded_at" IS NOT NULL)),
    ADD CONSTRAINT "captures_refund_attempts_not_negative" CHECK ("refund_attempts" >= 0),
    ADD CONSTRAINT "captures_refund_attempts_only_once_captured"
        CHECK ("refund_attempts" = 0 OR "status" IN ('CAPTURED', 'REFUNDED'));
