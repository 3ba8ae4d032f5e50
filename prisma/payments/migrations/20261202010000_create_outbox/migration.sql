-- The transactional outbox of the payments module (libs/platform/outbox): integration events are
-- recorded here in the same transaction as the change they describe, then relayed to the broker.
CREATE TABLE "payments"."outbox" (
    "id" BIGINT GENERATED ALWAYS AS IDENTITY,
    "event_id" UUID NOT NULL,
    "event_type" VARCHAR(200) NOT NULL,
    "source" VARCHAR(200) NOT NULL,
    "subject" VARCHAR(200) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "traceparent" VARCHAR(55),
    "payload" JSONB NOT NULL,
    -- The writing transaction: the relay claims an event only once every older transaction has ended.
    "txid" XID8 NOT NULL DEFAULT pg_current_xact_id(),
    "status" VARCHAR(12) NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leased_until" TIMESTAMPTZ(3),
    "leased_by" VARCHAR(200),
    "last_error" VARCHAR(2000),
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "outbox_status_known" CHECK ("status" IN ('PENDING', 'PUBLISHED', 'DEAD'))
);

CREATE UNIQUE INDEX "outbox_event_id_key" ON "payments"."outbox"("event_id");
-- The claim query: pending events in id order, and a subject's earlier pending events.
CREATE INDEX "outbox_pending_idx" ON "payments"."outbox"("id") WHERE "status" = 'PENDING';
CREATE INDEX "outbox_pending_subject_idx" ON "payments"."outbox"("subject", "id") WHERE "status" = 'PENDING';
-- The purge of published events, and the dead-letter listing.
CREATE INDEX "outbox_published_at_idx" ON "payments"."outbox"("published_at") WHERE "status" = 'PUBLISHED';
CREATE INDEX "outbox_dead_idx" ON "payments"."outbox"("id") WHERE "status" = 'DEAD';

-- Wakes the relays (LISTEN payments_outbox) when a transaction that recorded events commits.
CREATE FUNCTION "payments"."outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('payments_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER "outbox_notify" AFTER INSERT ON "payments"."outbox"
    FOR EACH STATEMENT EXECUTE FUNCTION "payments"."outbox_notify"();
