import { MigrationInterface, QueryRunner } from 'typeorm';
import { ReserveFromDropInOneCall1764000700000 } from './1764000700000-ReserveFromDropInOneCall.js';

/**
 * Checkout and drops, hardened:
 * - An account may hold only a few unpaid reservations at once. `reserve_from_drop` gets the cap as
 *   a sixth argument: after the idempotency key locks it takes each buyer's lock (`buyer:<id>`, the
 *   lock checkout's other paths take before counting), counts the buyer's live holds and reserves
 *   only for requests within the cap; the others get no row, like requests that found nothing free.
 *   A partial index keeps that count to the buyer's holds.
 * - Lottery entries get a random ticket: the draw ranks tickets, so the public view can list what
 *   the draw ran over without listing account ids. Entries made before this get a random ticket too
 *   (drops drawn before it were ranked by account id).
 */
export class CapHoldsAndTicketEntries1764000900000 implements MigrationInterface {
  name = 'CapHoldsAndTicketEntries1764000900000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX orders_buyer_holds_idx ON orders (buyer_id, reserved_until)
       WHERE status IN ('reserved', 'requires_action')`,
    );
    await db.query(`DROP FUNCTION reserve_from_drop(uuid, uuid[], uuid[], text[], integer)`);
    await db.query(`
      CREATE FUNCTION reserve_from_drop(p_drop uuid, p_orders uuid[], p_buyers uuid[], p_keys text[],
                                        p_ttl_seconds integer, p_max_holds integer)
      RETURNS SETOF orders LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM pg_advisory_xact_lock(k.lock)
        FROM (SELECT DISTINCT hashtext('checkout:' || b || ':' || k) AS lock
              FROM unnest(p_buyers, p_keys) AS r(b, k) ORDER BY 1) AS k;
        -- Taken after every key lock, in one order, so batches and single checkouts cannot deadlock.
        PERFORM pg_advisory_xact_lock(b.lock)
        FROM (SELECT DISTINCT hashtext('buyer:' || b) AS lock FROM unnest(p_buyers) AS r(b) ORDER BY 1) AS b;
        RETURN QUERY
        WITH request AS (
          SELECT r.*, row_number() OVER (PARTITION BY r.buyer_id ORDER BY r.i) AS nth
          FROM unnest(p_orders, p_buyers, p_keys) WITH ORDINALITY AS r(order_id, buyer_id, idempotency_key, i)),
        allowed AS (
          SELECT r.order_id, r.buyer_id, r.idempotency_key, row_number() OVER (ORDER BY r.i) AS i
          FROM request r
          WHERE r.nth + (SELECT count(*) FROM orders h
                         WHERE h.buyer_id = r.buyer_id AND h.status IN ('reserved', 'requires_action')
                           AND h.reserved_until > now()) <= p_max_holds),
        fresh AS (
          SELECT l.id FROM listings l
          WHERE l.drop_id = p_drop AND l.status = 'active' AND l.reserved_until IS NULL AND l.allocated_to IS NULL
          ORDER BY l.reserved_until LIMIT (SELECT count(*) FROM allowed) FOR UPDATE SKIP LOCKED),
        lapsed AS (
          SELECT l.id FROM listings l
          WHERE l.drop_id = p_drop AND l.status = 'active' AND l.reserved_until < now() AND l.allocated_to IS NULL
          ORDER BY l.reserved_until LIMIT (SELECT count(*) FROM allowed) - (SELECT count(*) FROM fresh)
          FOR UPDATE SKIP LOCKED),
        picked AS (
          SELECT free.id, row_number() OVER () AS i
          FROM (SELECT id FROM fresh UNION ALL SELECT id FROM lapsed) AS free),
        listing AS (
          UPDATE listings l SET reserved_order = r.order_id, reserved_for = r.buyer_id,
            reserved_until = now() + p_ttl_seconds * interval '1 second'
          FROM picked p JOIN allowed r ON r.i = p.i
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
    await db.query(`ALTER TABLE drop_entries ADD COLUMN ticket bytea`);
    await db.query(`UPDATE drop_entries SET ticket = uuid_send(gen_random_uuid())`);
    await db.query(`ALTER TABLE drop_entries ALTER COLUMN ticket SET NOT NULL`);
    await db.query(`CREATE UNIQUE INDEX drop_entries_ticket_key ON drop_entries (drop_id, ticket)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX drop_entries_ticket_key`);
    await db.query(`ALTER TABLE drop_entries DROP COLUMN ticket`);
    await db.query(`DROP FUNCTION reserve_from_drop(uuid, uuid[], uuid[], text[], integer, integer)`);
    await new ReserveFromDropInOneCall1764000700000().up(db);
    await db.query(`DROP INDEX orders_buyer_holds_idx`);
  }
}
