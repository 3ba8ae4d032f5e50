-- The orders still PENDING, oldest first: the fulfilment timer looks among them for orders whose saga never started
-- (their OrderPlaced lost, for instance with the in-process broker's memory). Small: only orders in flight are in it.
CREATE INDEX "orders_pending_created_at_idx" ON "ordering"."orders"("created_at") WHERE "status" = 'PENDING';
