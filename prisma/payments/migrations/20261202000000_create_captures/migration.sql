-- The payments schema: one capture per order, the record of what the payment provider was asked and answered.
CREATE SCHEMA IF NOT EXISTS "payments";

-- Created PENDING before the provider is called, so that every call has a row and a stable idempotency key;
-- CAPTURED and DECLINED are final (the provider decided); FAILED (no answer, or the request refused) is not.
-- "version" counts recorded outcomes: two handlers of one order record an outcome once (optimistic concurrency).
CREATE TABLE "payments"."captures" (
    "order_id" UUID NOT NULL,
    "idempotency_key" VARCHAR(255) NOT NULL,
    "customer_id" VARCHAR(255) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'PENDING',
    "capture_id" VARCHAR(255),
    "decline_reason" VARCHAR(200),
    "failure_reason" VARCHAR(32),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" VARCHAR(2000),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "captures_pkey" PRIMARY KEY ("order_id"),
    CONSTRAINT "captures_status_known" CHECK ("status" IN ('PENDING', 'CAPTURED', 'DECLINED', 'FAILED')),
    -- The domain rules CaptureAmountMustBePositive and CaptureCurrencyMustBeIso4217Code.
    CONSTRAINT "captures_amount_minor_positive" CHECK ("amount_minor" > 0),
    CONSTRAINT "captures_currency_iso4217" CHECK ("currency" ~ '^[A-Z]{3}$'),
    CONSTRAINT "captures_customer_id_not_blank" CHECK (btrim("customer_id") <> ''),
    CONSTRAINT "captures_attempts_not_negative" CHECK ("attempts" >= 0),
    CONSTRAINT "captures_version_positive" CHECK ("version" >= 1),
    -- The provider's id of its decision, for both of its answers.
    CONSTRAINT "captures_capture_id_when_decided"
        CHECK ("status" NOT IN ('CAPTURED', 'DECLINED') OR "capture_id" IS NOT NULL),
    CONSTRAINT "captures_decided_at_when_decided"
        CHECK (("status" IN ('CAPTURED', 'DECLINED')) = ("decided_at" IS NOT NULL)),
    CONSTRAINT "captures_decline_reason_only_when_declined"
        CHECK (("status" = 'DECLINED') = ("decline_reason" IS NOT NULL)),
    CONSTRAINT "captures_failure_reason_only_when_failed"
        CHECK (("status" = 'FAILED') = ("failure_reason" IS NOT NULL)),
    CONSTRAINT "captures_failure_reason_known"
        CHECK ("failure_reason" IS NULL OR "failure_reason" IN ('GATEWAY_UNAVAILABLE', 'REQUEST_REFUSED'))
);

CREATE UNIQUE INDEX "captures_idempotency_key_key" ON "payments"."captures"("idempotency_key");
