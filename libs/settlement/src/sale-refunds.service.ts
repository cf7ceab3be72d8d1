import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction, isUniqueViolation } from '#database';
import { problems } from '#http';
import type { Principal } from '#identity';
import { recordOperatorAction } from '#operator-trail';
import { lockOrder } from '#orders';

/**
 * Refunds an operator starts for a completed sale, in full or in part. The request is stored with
 * the operator's reason (in the action trail) in one transaction; the refund job sends it to the
 * processor, retrying with backoff until taken, and the processor's `charge.refunded` books it:
 * a partial refund reverses that share of the sale, a full one also reverts the token to its seller
 * (the creator, for a primary sale) with a ledger `revert`.
 */
@Injectable()
export class SaleRefundsService {
  constructor(private readonly dataSource: DataSource) {}

  async refundSale(principal: Principal, orderId: string, input: { amountMinor?: number; reason: string }) {
    try {
      return await inTransaction(this.dataSource, async (manager) => {
        const order = await lockOrder(manager, { orderId });
        if (!order) throw problems.notFound('Order');
        // A disputed payment is in the card network's hands; its outcome decides.
        if (order.status !== 'paid' || !order.payment_id)
          throw problems.conflict(
            'order-not-refundable',
            `Only a paid sale can be refunded; the order is ${order.status}`,
          );
        const paid = Number(order.amount_minor);
        const amount = input.amountMinor ?? paid;
        if (amount > paid)
          throw problems.unprocessable('refund-exceeds-payment', `At most ${paid} (minor units) was paid`, {
            maxAmountMinor: paid,
          });
        await manager.query(
          `INSERT INTO refund_requests (order_id, payment_id, amount_minor, reason, kind)
           VALUES ($1, $2, $3, 'operator-refund', 'sale')`,
          [order.id, order.payment_id, amount],
        );
        const actionRef = await recordOperatorAction(manager, {
          actorId: principal.accountId,
          action: 'order.refund',
          subject: { kind: 'order', id: order.id },
          reason: input.reason,
        });
        return {
          orderId: order.id,
          amountMinor: amount,
          currency: order.currency,
          status: 'pending',
          actionRef,
        };
      });
    } catch (error) {
      // One refund per order (the processor's refunds add up; a second would need its own record).
      if (isUniqueViolation(error))
        throw problems.conflict('refund-exists', 'A refund of this order was requested already');
      throw error;
    }
  }

  /** Orders whose payment is disputed now, oldest first: operators answer them at the processor. */
  async openDisputes() {
    const rows: {
      id: string;
      token_id: string;
      amount_minor: string;
      currency: string;
      payment_id: string | null;
      opened_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT o.id, o.token_id, o.amount_minor, o.currency, o.payment_id,
              (SELECT min(j.created_at) FROM journal_entries j WHERE j.order_id = o.id AND j.kind = 'dispute-opened')
                AS opened_at
       FROM orders o WHERE o.status = 'disputed' ORDER BY opened_at NULLS FIRST, o.id LIMIT 1000`,
    );
    return rows.map((row) => ({
      orderId: row.id,
      tokenId: row.token_id,
      amountMinor: Number(row.amount_minor),
      currency: row.currency,
      paymentId: row.payment_id,
      openedAt: row.opened_at?.toISOString() ?? null,
    }));
  }
}
