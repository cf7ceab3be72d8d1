import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { keysetPage, microsSql, parseTimeIdCursor, problems, timeIdCursor, timeOfMicrosSql } from '#http';
import { hasRole, type Principal } from '#identity';
import { ProofService } from '#ledger';
import type { OrderStatus } from '#orders';
import { readSaleBreakdown } from '#settlement';
import { nextStepView } from './checkout.views.js';

/** Orders that have a receipt: a sale was booked (`paid_at` is stamped only then). */
const RECEIPT_STATUSES: readonly OrderStatus[] = ['paid', 'refunded', 'disputed'];

interface MyOrderRow {
  id: string;
  token_id: string;
  status: OrderStatus;
  amount_minor: string;
  currency: string;
  payment_id: string | null;
  reserved_until: Date;
  created_at: Date;
  paid_at: Date | null;
  /** created_at in microseconds since the epoch, for an exact cursor (a JS Date keeps milliseconds). */
  created_us: string;
  name: string;
  edition_number: number;
  edition_total: number;
}

interface ReceiptRow {
  id: string;
  buyer_id: string;
  seller_id: string;
  token_id: string;
  status: OrderStatus;
  amount_minor: string;
  currency: string;
  card_brand: string | null;
  card_last4: string | null;
  paid_at: Date | null;
  name: string;
  edition_number: number;
  edition_total: number;
  creator_id: string;
  buyer_handle: string;
  seller_handle: string;
}

/** Where a receipt's sale stands in the ledger, and links a client can follow to check it. */
export interface ReceiptLedger {
  status: 'pending' | 'integrated';
  index: number | null;
  proof: string | null;
  history: string;
}

/** A buyer's orders and their receipts (reads only: orders, journal and ledger are written elsewhere). */
@Injectable()
export class OrderHistoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly proofs: ProofService,
  ) {}

  /** The caller's orders as buyer, newest first, in keyset pages over (created_at, id). */
  async listMine(principal: Principal, query: { status?: OrderStatus; limit?: number; cursor?: string }) {
    const limit = query.limit ?? 20;
    const [afterUs, afterId] = parseTimeIdCursor(query.cursor);
    const rows: MyOrderRow[] = await this.dataSource.query(
      `SELECT o.id, o.token_id, o.status, o.amount_minor, o.currency, o.payment_id, o.reserved_until,
              o.created_at, o.paid_at, t.name, t.edition_number, t.edition_total,
              ${microsSql('o.created_at')} AS created_us
       FROM orders o JOIN tokens t ON t.id = o.token_id
       WHERE o.buyer_id = $1 AND ($2::text IS NULL OR o.status = $2)
         AND ($3::bigint IS NULL
              OR (o.created_at, o.id) < (${timeOfMicrosSql('$3')}, $4::uuid))
       ORDER BY o.created_at DESC, o.id DESC LIMIT $5`,
      [principal.accountId, query.status ?? null, afterUs, afterId, limit + 1],
    );
    return keysetPage(
      rows,
      limit,
      (row) => ({
        orderId: row.id,
        token: tokenRef(row),
        amountMinor: Number(row.amount_minor),
        currency: row.currency,
        status: row.status,
        ...nextStepView(row),
        createdAt: new Date(row.created_at).toISOString(),
        paidAt: row.paid_at ? new Date(row.paid_at).toISOString() : null,
        receipt: row.paid_at && RECEIPT_STATUSES.includes(row.status) ? `/orders/${row.id}/receipt` : null,
      }),
      (last) => timeIdCursor(last.created_us, last.id),
    );
  }

  /**
   * Orders for operators and auditors, newest first in keyset pages: a buyer's (by handle), a
   * token's, or all, optionally in one status. How an operator finds the order to refund.
   */
  async listForOperators(query: {
    buyer?: string;
    tokenId?: string;
    status?: OrderStatus;
    limit?: number;
    cursor?: string;
  }) {
    const limit = query.limit ?? 20;
    const [afterUs, afterId] = parseTimeIdCursor(query.cursor);
    const rows: (MyOrderRow & { buyer_handle: string; seller_handle: string })[] =
      await this.dataSource.query(
        `SELECT o.id, o.token_id, o.status, o.amount_minor, o.currency, o.payment_id, o.reserved_until,
              o.created_at, o.paid_at, t.name, t.edition_number, t.edition_total,
              b.handle AS buyer_handle, s.handle AS seller_handle,
              ${microsSql('o.created_at')} AS created_us
       FROM orders o JOIN tokens t ON t.id = o.token_id
         JOIN accounts b ON b.id = o.buyer_id JOIN accounts s ON s.id = o.seller_id
       WHERE ($1::text IS NULL OR b.handle = $1) AND ($2::text IS NULL OR o.token_id = $2)
         AND ($3::text IS NULL OR o.status = $3)
         AND ($4::bigint IS NULL OR (o.created_at, o.id) < (${timeOfMicrosSql('$4')}, $5::uuid))
       ORDER BY o.created_at DESC, o.id DESC LIMIT $6`,
        [query.buyer ?? null, query.tokenId ?? null, query.status ?? null, afterUs, afterId, limit + 1],
      );
    return keysetPage(
      rows,
      limit,
      (row) => ({
        orderId: row.id,
        token: tokenRef(row),
        buyerHandle: row.buyer_handle,
        sellerHandle: row.seller_handle,
        amountMinor: Number(row.amount_minor),
        currency: row.currency,
        status: row.status,
        createdAt: new Date(row.created_at).toISOString(),
        paidAt: row.paid_at ? new Date(row.paid_at).toISOString() : null,
      }),
      (last) => timeIdCursor(last.created_us, last.id),
    );
  }

  /**
   * The receipt of a paid order: who sold what to whom, the sale's split as the journal booked it,
   * the card, refunds so far and where the sale stands in the ledger. The buyer's, or any for
   * operators and auditors; others get 404, as for GET /orders/{id}.
   */
  async receipt(principal: Principal, orderId: string) {
    const [order]: ReceiptRow[] = await this.dataSource.query(
      `SELECT o.id, o.buyer_id, o.seller_id, o.token_id, o.status, o.amount_minor, o.currency, o.card_brand,
              o.card_last4, o.paid_at, t.name, t.edition_number, t.edition_total, t.creator_id,
              b.handle AS buyer_handle, s.handle AS seller_handle
       FROM orders o JOIN tokens t ON t.id = o.token_id
         JOIN accounts b ON b.id = o.buyer_id JOIN accounts s ON s.id = o.seller_id
       WHERE o.id = $1`,
      [orderId],
    );
    if (!order || (order.buyer_id !== principal.accountId && !hasRole(principal, 'operator', 'auditor'))) {
      throw problems.notFound('Order');
    }
    const split =
      order.paid_at === null
        ? undefined
        : await readSaleBreakdown(this.dataSource.manager, {
            orderId: order.id,
            sellerId: order.seller_id,
            creatorId: order.creator_id,
          });
    if (!split) {
      throw problems.conflict(
        'no-receipt',
        'This order was never paid, so it has no receipt; its status says what happened (GET /orders/{id})',
      );
    }
    const position = await this.proofs.entryPosition(order.token_id, 'sale', order.id);
    // The sale's ledger entry is written in the transaction that booked it; none is a broken invariant.
    if (!position) throw new Error(`order ${order.id} was sold without a ledger entry`);
    const history = `/ledger/tokens/${encodeURIComponent(order.token_id)}/history`;
    const ledger: ReceiptLedger =
      position.index === null
        ? { status: 'pending', index: null, proof: null, history }
        : {
            status: 'integrated',
            index: position.index,
            proof: `/ledger/proof/inclusion?index=${position.index}&size=${position.treeSize}`,
            history,
          };
    return {
      orderId: order.id,
      status: order.status,
      token: tokenRef(order),
      sellerHandle: order.seller_handle,
      buyerHandle: order.buyer_handle,
      amountMinor: Number(order.amount_minor),
      currency: order.currency,
      breakdown: {
        platformFeeMinor: split.platformFeeMinor,
        royaltyMinor: split.royaltyMinor,
        processorFeeMinor: split.processorFeeMinor,
        sellerProceedsMinor: split.sellerProceedsMinor,
      },
      card:
        order.card_brand && order.card_last4 ? { brand: order.card_brand, last4: order.card_last4 } : null,
      paidAt: new Date(order.paid_at!).toISOString(),
      refundedMinor: split.refundedMinor,
      ledger,
    };
  }
}

function tokenRef(row: { token_id: string; name: string; edition_number: number; edition_total: number }) {
  return {
    tokenId: row.token_id,
    name: row.name,
    editionNumber: row.edition_number,
    editionTotal: row.edition_total,
  };
}
