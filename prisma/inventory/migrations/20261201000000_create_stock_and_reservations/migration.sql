-- The inventory schema: stock per sku, and one reservation per order with its lines.
CREATE SCHEMA IF NOT EXISTS "inventory";

-- What can still be reserved ("available") and what is held for orders ("reserved"). Neither ever
-- goes below zero (the domain rule StockCannotGoBelowZero; these CHECKs are its last line of defence).
CREATE TABLE "inventory"."stock" (
    "sku" VARCHAR(64) NOT NULL,
    "available" INTEGER NOT NULL,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_pkey" PRIMARY KEY ("sku"),
    CONSTRAINT "stock_available_not_negative" CHECK ("available" >= 0),
    CONSTRAINT "stock_reserved_not_negative" CHECK ("reserved" >= 0)
);

-- The outcome of ReserveStock for an order, kept so that a repeated command returns it again.
-- A RELEASED reservation without lines is a tombstone: the release arrived before the reserve.
CREATE TABLE "inventory"."reservations" (
    "order_id" UUID NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "rejection_reason" VARCHAR(32),
    "rejected_skus" VARCHAR(64)[] NOT NULL DEFAULT ARRAY[]::VARCHAR(64)[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reservations_pkey" PRIMARY KEY ("order_id"),
    CONSTRAINT "reservations_status_known" CHECK ("status" IN ('RESERVED', 'REJECTED', 'RELEASED')),
    CONSTRAINT "reservations_rejection_reason_only_when_rejected"
        CHECK (("status" = 'REJECTED') = ("rejection_reason" IS NOT NULL)),
    CONSTRAINT "reservations_rejection_reason_known"
        CHECK ("rejection_reason" IS NULL OR "rejection_reason" IN ('OUT_OF_STOCK', 'UNKNOWN_SKU'))
);

CREATE TABLE "inventory"."reservation_lines" (
    "order_id" UUID NOT NULL,
    "line_no" SMALLINT NOT NULL,
    "sku" VARCHAR(64) NOT NULL,
    "quantity" INTEGER NOT NULL,

    CONSTRAINT "reservation_lines_pkey" PRIMARY KEY ("order_id", "line_no"),
    CONSTRAINT "reservation_lines_quantity_range" CHECK ("quantity" BETWEEN 1 AND 1000000)
);

CREATE UNIQUE INDEX "reservation_lines_order_id_sku_key" ON "inventory"."reservation_lines"("order_id", "sku");

ALTER TABLE "inventory"."reservation_lines" ADD CONSTRAINT "reservation_lines_order_id_fkey"
    FOREIGN KEY ("order_id") REFERENCES "inventory"."reservations"("order_id") ON DELETE CASCADE ON UPDATE CASCADE;
