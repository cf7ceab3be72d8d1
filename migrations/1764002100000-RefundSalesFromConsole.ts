import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds an operator starts for a completed sale go through `refund_requests` too, so they are
 * sent, retried with backoff and listed when stuck exactly like the refunds we owe. `kind` tells
 * settlement how to book the processor's `charge.refunded`: `owed` (a payment captured for an
 * edition no longer ours: give the money back) or `sale` (reverse the sale pro rata; a full refund
 * reverts the token to its seller).
 *
 * `orders_disputed_idx`: the open disputes operators answer, found without scanning every order.
 */
export class RefundSalesFromConsole1764002100000 implements MigrationInterface {
  name = 'RefundSalesFromConsole1764002100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE refund_requests ADD COLUMN kind text NOT NULL DEFAULT 'owed' CHECK (kind IN ('owed', 'sale'))`,
    );
    await db.query(`CREATE INDEX orders_disputed_idx ON orders (id) WHERE status = 'disputed'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX orders_disputed_idx`);
    await db.query(`ALTER TABLE refund_requests DROP COLUMN kind`);
  }
}
