import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * First-come drop reservations as one function call, so that they run as one autocommit statement:
 * one round trip instead of BEGIN, the statement and COMMIT — and one for a whole batch of
 * concurrent requests at the same drop (checkout groups them). It takes each request's idempotency
 * key lock first (the key `checkout:<buyer>:<key>` that checkout's locked transactions use, taken in
 * one order so that batches cannot deadlock), so a retry racing its original still waits for it;
 * then reserves a free edition per request — never-reserved ones first, else lapsed reservations:
 * each one range of listings_drop_available_idx, ORDER BY reserved_until keeping the planner on that
 * index — and inserts the orders. Requests left without an edition get no row.
 */
export class ReserveFromDropInOneCall1764000700000 implements MigrationInterface {
  name = 'ReserveFromDropInOneCall1764000700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION reserve_from_drop(p_drop uuid, p_orders uuid[], p_buyers uuid[], p_keys text[],
                                        p_ttl_seconds integer)
      RETURNS SETOF orders LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM pg_advisory_xact_lock(k.lock)
        FROM (SELECT DISTINCT hashtext('checkout:' || b || ':' || k) AS lock
              FROM unnest(p_buyers, p_keys) AS r(b, k) ORDER BY 1) AS k;
        RETURN QUERY
        WITH fresh AS (
          SELECT l.id FROM listings l
          WHERE l.drop_id = p_drop AND l.status = 'active' AND l.reserved_until IS NULL AND l.allocated_to IS NULL
          ORDER BY l.reserved_until LIMIT cardinality(p_orders) FOR UPDATE SKIP LOCKED),
        lapsed AS (
          SELECT l.id FROM listings l
          WHERE l.drop_id = p_drop AND l.status = 'active' AND l.reserved_until < now() AND l.allocated_to IS NULL
          ORDER BY l.reserved_until LIMIT cardinality(p_orders) - (SELECT count(*) FROM fresh)
          FOR UPDATE SKIP LOCKED),
        picked AS (
          SELECT free.id, row_number() OVER () AS i
          FROM (SELECT id FROM fresh UNION ALL SELECT id FROM lapsed) AS free),
        request AS (
          SELECT * FROM unnest(p_orders, p_buyers, p_keys) WITH ORDINALITY AS r(order_id, buyer_id, idempotency_key, i)),
        listing AS (
          UPDATE listings l SET reserved_order = r.order_id, reserved_for = r.buyer_id,
            reserved_until = now() + p_ttl_seconds * interval '1 second'
          FROM picked p JOIN request r ON r.i = p.i
          WHERE l.id = p.id
          RETURNING l.id, l.token_id, l.drop_id, l.seller_id, l.price_minor, l.currency, l.reserved_until,
            r.order_id, r.buyer_id, r.idempotency_key)
        INSERT INTO orders AS o (id, buyer_id, listing_id, token_id, drop_id, seller_id, amount_minor, currency,
          status, idempotency_key, reserved_until)
        SELECT l.order_id, l.buyer_id, l.id, l.token_id, l.drop_id, l.seller_id, l.price_minor, l.currency,
          'reserved', l.idempotency_key, l.reserved_until
        FROM listing l
        RETURNING o.*;
      END
      $fn$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION reserve_from_drop(uuid, uuid[], uuid[], text[], integer)`);
  }
}
