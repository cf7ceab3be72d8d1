import type { EntityManager } from 'typeorm';
import { Batcher, preparedQuery } from '#database';
import { ORDER_COLUMN_NAMES, ORDER_COLUMNS, type OrderRow } from '#orders';

/** Reads per statement, at most. */
const MAX_READ_BATCH = 256;

/** An order as checkout reads it after the processor answered a payment. */
export interface OrderAfterPayment {
  order: OrderRow;
  /** Events of the payment stored but not applied yet (e.g. one being settled right now). */
  eventsPending: boolean;
}

/**
 * Checkout's hot reads of orders: reads that arrive while one runs share the next statement, so a
 * rush of checkouts costs a few round trips rather than one each.
 */
export class OrderReads {
  private readonly byId = new Batcher<string, OrderRow | undefined>({
    maxBatch: MAX_READ_BATCH,
    run: async (orderIds) => {
      const orders = await preparedQuery<OrderRow>(
        this.manager,
        'checkout:orders-by-id',
        `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ANY($1::uuid[])`,
        [orderIds],
      );
      const byId = new Map(orders.map((order) => [order.id, order]));
      return orderIds.map((orderId) => byId.get(orderId.toLowerCase()));
    },
  });

  private readonly afterPayments = new Batcher<{ orderId: string; paymentId: string }, OrderAfterPayment>({
    maxBatch: MAX_READ_BATCH,
    run: async (reads) => {
      const rows = await preparedQuery<OrderRow & { key: number; events_pending: boolean }>(
        this.manager,
        'checkout:orders-after-payment',
        `SELECT k.key::int AS key, ${ORDER_COLUMN_NAMES.map((column) => `o.${column}`).join(', ')},
                EXISTS (SELECT 1 FROM payment_events e WHERE e.payment_id = k.payment_id AND e.processed_at IS NULL)
                  AS events_pending
         FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS k(order_id, payment_id, key)
           JOIN orders o ON o.id = k.order_id`,
        [reads.map((read) => read.orderId), reads.map((read) => read.paymentId)],
      );
      const byKey = new Map(
        rows.map(({ key, events_pending: eventsPending, ...order }) => [key, { order, eventsPending }]),
      );
      return reads.map((_read, index) => byKey.get(index + 1)!);
    },
  });

  constructor(private readonly manager: EntityManager) {}

  /** The order, or `undefined` if there is none. */
  order(orderId: string): Promise<OrderRow | undefined> {
    return this.byId.submit(orderId);
  }

  /** An order known to exist, as committed now, and whether events of `paymentId` wait to apply. */
  afterPayment(orderId: string, paymentId: string): Promise<OrderAfterPayment> {
    return this.afterPayments.submit({ orderId, paymentId });
  }
}
