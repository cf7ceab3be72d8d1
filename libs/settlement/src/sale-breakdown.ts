import type { EntityManager } from 'typeorm';
import { accounts } from './journal.js';

/** How an order's sale was split, as its `sale` journal entry booked it (integer minor units). */
export interface SaleBreakdown {
  currency: string;
  /** What the buyer paid: the processor clearing line. */
  grossMinor: number;
  processorFeeMinor: number;
  platformFeeMinor: number;
  /** Creator royalty (resales by someone other than the creator); 0 otherwise. */
  royaltyMinor: number;
  sellerProceedsMinor: number;
  /** What the processor has refunded so far (the largest `refund:<total>` booked, as `postRefundSoFar`); 0 if none. */
  refundedMinor: number;
}

/**
 * Reads the split of an order's sale from the journal, or `undefined` if no sale was booked. The
 * sale entry balances, so gross = processor fee + platform fee + royalty + seller proceeds exactly.
 * Royalty and proceeds are both payables, told apart by account: a creator reselling their own
 * edition is paid both on one account, all of it shown as proceeds.
 */
export async function readSaleBreakdown(
  manager: EntityManager,
  sale: { orderId: string; sellerId: string; creatorId: string },
): Promise<SaleBreakdown | undefined> {
  const saleLines: { account: string; amount: string; currency: string; refunded: string }[] =
    await manager.query(
      `SELECT l.account, l.amount_minor AS amount, l.currency,
              (SELECT coalesce(max(split_part(r.kind, ':', 2)::bigint), 0) FROM journal_entries r
               WHERE r.order_id = e.order_id AND r.kind LIKE 'refund:%') AS refunded
       FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
       WHERE e.order_id = $1 AND e.kind = 'sale'`,
      [sale.orderId],
    );
  if (saleLines.length === 0) return undefined;
  // Credits are negative in the journal; a breakdown shows each share as a positive amount.
  const credited = (account: string) =>
    -saleLines.filter((line) => line.account === account).reduce((sum, line) => sum + Number(line.amount), 0);
  const seller = credited(accounts.payable(sale.sellerId));
  const royalty = sale.creatorId === sale.sellerId ? 0 : credited(accounts.payable(sale.creatorId));
  return {
    currency: saleLines[0].currency,
    grossMinor: -credited(accounts.processorClearing),
    processorFeeMinor: credited(accounts.processorFees),
    platformFeeMinor: credited(accounts.platformRevenue),
    royaltyMinor: royalty,
    sellerProceedsMinor: seller,
    refundedMinor: Number(saleLines[0].refunded),
  };
}
