-- The catalog schema: products and their prices (integer minor units, ISO 4217 currency).
CREATE SCHEMA IF NOT EXISTS "catalog";

CREATE TABLE "catalog"."products" (
    "sku" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "description" VARCHAR(2000) NOT NULL DEFAULT '',
    "price_minor" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "products_pkey" PRIMARY KEY ("sku"),
    CONSTRAINT "products_price_minor_range" CHECK ("price_minor" BETWEEN 0 AND 100000000),
    CONSTRAINT "products_currency_iso4217" CHECK ("currency" ~ '^[A-Z]{3}$'),
    CONSTRAINT "products_name_not_blank" CHECK (btrim("name") <> '')
);
