-- Copied from libs/platform/inbox/README.md with <schema> = catalog: catalog consumes its own
-- catalog.product-details-changed.v1 to invalidate its cached products and prices (issue 6).

-- The inbox of the module's event consumers (libs/platform/inbox): one row per message a consumer
-- applied, written in the same transaction as the message's effects. A redelivery finds it and does nothing.
CREATE TABLE "catalog"."inbox" (
    "consumer" VARCHAR(200) NOT NULL,
    "message_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_pkey" PRIMARY KEY ("consumer", "message_id")
);

-- The purge of rows older than the retention.
CREATE INDEX "inbox_processed_at_idx" ON "catalog"."inbox"("processed_at");

-- Messages a consumer gave up on: unreadable, breaking their contract, or failing maxAttempts times.
-- "event" is the CloudEvents envelope as received (or {"brokerMessage": ...} when it was not one).
CREATE TABLE "catalog"."inbox_dead_letters" (
    "consumer" VARCHAR(200) NOT NULL,
    "message_id" UUID NOT NULL,
    "event" JSONB NOT NULL,
    "error" VARCHAR(2000) NOT NULL,
    "attempts" INTEGER NOT NULL,
    "dead_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_dead_letters_pkey" PRIMARY KEY ("consumer", "message_id")
);
