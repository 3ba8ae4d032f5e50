-- The ordering schema: orders, their lines, and the idempotency keys of order placements.
CREATE SCHEMA IF NOT EXISTS "ordering";

CREATE TABLE "ordering"."orders" (
    "id" UUID NOT NULL,
    "customer_id" VARCHAR(100) NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "total_minor" BIGINT NOT NULL,
    "cancellation_reason" VARCHAR(64),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "orders_status_known" CHECK ("status" IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
    CONSTRAINT "orders_cancellation_reason_only_when_cancelled"
        CHECK (("status" = 'CANCELLED') = ("cancellation_reason" IS NOT NULL)),
    CONSTRAINT "orders_total_minor_not_negative" CHECK ("total_minor" >= 0)
);

CREATE TABLE "ordering"."order_lines" (
    "order_id" UUID NOT NULL,
    "line_no" SMALLINT NOT NULL,
    "sku" VARCHAR(64) NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_minor" INTEGER NOT NULL,

    CONSTRAINT "order_lines_pkey" PRIMARY KEY ("order_id", "line_no"),
    CONSTRAINT "order_lines_quantity_range" CHECK ("quantity" BETWEEN 1 AND 1000),
    CONSTRAINT "order_lines_unit_price_not_negative" CHECK ("unit_price_minor" >= 0)
);

CREATE TABLE "ordering"."idempotency_keys" (
    "key" VARCHAR(255) NOT NULL,
    "request_fingerprint" CHAR(64) NOT NULL,
    "order_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "idempotency_keys_created_at_idx" ON "ordering"."idempotency_keys"("created_at");

CREATE INDEX "idempotency_keys_order_id_idx" ON "ordering"."idempotency_keys"("order_id");

ALTER TABLE "ordering"."order_lines" ADD CONSTRAINT "order_lines_order_id_fkey"
    FOREIGN KEY ("order_id") REFERENCES "ordering"."orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "ordering"."idempotency_keys" ADD CONSTRAINT "idempotency_keys_order_id_fkey"
    FOREIGN KEY ("order_id") REFERENCES "ordering"."orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
