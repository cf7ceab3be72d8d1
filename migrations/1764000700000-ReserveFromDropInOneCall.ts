import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A first-come drop's reservation as one function call, so that it runs as one autocommit
 * statement: one round trip instead of BEGIN, the statement and COMMIT. It takes the idempotency
 * key's advisory lock first (the key `checkout:<buyer>:<key>` that checkout's locked transactions
 * use), so a retry racing its original still waits for it; then reserves a free edition (a
 * never-reserved one, else a lapsed reservation: each one range of listings_drop_available_idx,
 * ORDER BY reserved_until keeping the planner on that index) and inserts the order. No row when no
 * edition is free.
 */
export class ReserveFromDropInOneCall1764000700000 implements MigrationInterface {
  name = 'ReserveFromDropInOneCall1764000700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION reserve_from_drop(p_drop uuid, p_order uuid, p_buyer uuid, p_ttl_seconds integer,
                                        p_key text)
      RETURNS SETOF orders LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('checkout:' || p_buyer || ':' || p_key));
        RETURN QUERY
        WITH listing AS (
          UPDATE listings SET reserved_order = p_order, reserved_for = p_buyer,
            reserved_until = now() + p_ttl_seconds * interval '1 second'
          WHERE id = COALESCE(
            (SELECT l.id FROM listings l
             WHERE l.drop_id = p_drop AND l.status = 'active' AND l.reserved_until IS NULL
               AND l.allocated_to IS NULL
             ORDER BY l.reserved_until LIMIT 1 FOR UPDATE SKIP LOCKED),
            (SELECT l.id FROM listings l
             WHERE l.drop_id = p_drop AND l.status = 'active' AND l.reserved_until < now()
               AND l.allocated_to IS NULL
             ORDER BY l.reserved_until LIMIT 1 FOR UPDATE SKIP LOCKED))
          RETURNING listings.id, listings.token_id, listings.drop_id, listings.seller_id, listings.price_minor,
            listings.currency, listings.reserved_until)
        INSERT INTO orders AS o (id, buyer_id, listing_id, token_id, drop_id, seller_id, amount_minor, currency,
          status, idempotency_key, reserved_until)
        SELECT p_order, p_buyer, l.id, l.token_id, l.drop_id, l.seller_id, l.price_minor, l.currency, 'reserved',
          p_key, l.reserved_until
        FROM listing l
        RETURNING o.*;
      END
      $fn$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION reserve_from_drop(uuid, uuid, uuid, integer, text)`);
  }
}
