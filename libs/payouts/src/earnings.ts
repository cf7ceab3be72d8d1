import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { keysetPage } from '#http';
import { journalAccounts } from '#settlement';

/** An account's earnings in one currency, integer minor units. */
export interface EarningsBalance {
  currency: string;
  /** Earned on sales still inside the refund/dispute window (net of their refunds so far). */
  pendingMinor: number;
  /** What can be paid out: released earnings minus payouts requested; negative after a late refund. */
  availableMinor: number;
  /** Payouts requested and not yet paid or failed. */
  inTransitMinor: number;
  /** Payouts the rail has paid, all time. */
  paidOutMinor: number;
}

interface BalanceRow {
  currency: string;
  pending: string;
  available: string;
  in_transit: string;
  paid_out: string;
}

interface SaleRow {
  entry_id: string;
  order_id: string;
  token_id: string;
  seller_id: string;
  creator_id: string;
  currency: string;
  gross: string;
  processor_fee: string;
  platform_fee: string;
  to_creator: string;
  to_seller: string;
  refunded: string;
  booked_at: Date;
}

/**
 * SQL for a journal line whose order's sale `s` was booked inside the hold window (`holdDays`: the
 * parameter holding the days). Refunds and disputes of an order count where its sale does, so a
 * refund inside the window reduces pending and a later one reduces available.
 */
const held = (holdDays: string) =>
  `(s.created_at IS NOT NULL AND s.created_at > now() - ${holdDays} * interval '1 day')`;

/** Earnings read from the money journal (written by libs/settlement only; read here). */
@Injectable()
export class EarningsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
  ) {}

  /** The account's balances, one per currency it ever earned or was paid out in. */
  async balances(
    accountId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<EarningsBalance[]> {
    const rows: BalanceRow[] = await manager.query(
      `SELECT l.currency,
              coalesce(sum(-l.amount_minor) FILTER (WHERE l.account = $1 AND ${held('$2')}), 0) AS pending,
              coalesce(sum(-l.amount_minor) FILTER (WHERE l.account = $1 AND NOT ${held('$2')}), 0) AS available,
              coalesce(sum(-l.amount_minor) FILTER (WHERE l.account = $3), 0) AS in_transit,
              coalesce(sum(l.amount_minor) FILTER (WHERE l.account = $3 AND e.kind LIKE 'payout-paid:%'), 0)
                AS paid_out
       FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
         LEFT JOIN journal_entries s ON s.order_id = e.order_id AND s.kind = 'sale'
       WHERE l.account IN ($1, $3)
       GROUP BY l.currency ORDER BY l.currency`,
      [
        journalAccounts.payable(accountId),
        this.config.earningsHoldDays,
        journalAccounts.payoutsInTransit(accountId),
      ],
    );
    return rows.map((row) => ({
      currency: row.currency,
      pendingMinor: Number(row.pending),
      availableMinor: Number(row.available),
      inTransitMinor: Number(row.in_transit),
      paidOutMinor: Number(row.paid_out),
    }));
  }

  /** The account's balances and a page of the sales it earned on. */
  async earnings(accountId: string, query: { limit?: number; cursor?: string }) {
    const [balances, sales] = await Promise.all([this.balances(accountId), this.sales(accountId, query)]);
    return { balances, sales: sales.items, nextCursor: sales.nextCursor };
  }

  /** What the account can be paid out in `currency` now (read in the caller's transaction). */
  async available(manager: EntityManager, accountId: string, currency: string): Promise<number> {
    const balance = (await this.balances(accountId, manager)).find((b) => b.currency === currency);
    return balance?.availableMinor ?? 0;
  }

  /** Every (account, currency) with a positive available balance, for a payout run. */
  async positiveAvailable(): Promise<{ accountId: string; currency: string }[]> {
    const rows: { account_id: string; currency: string }[] = await this.dataSource.query(
      `SELECT substr(l.account, length('liability:payable:') + 1) AS account_id, l.currency
       FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
         LEFT JOIN journal_entries s ON s.order_id = e.order_id AND s.kind = 'sale'
       WHERE l.account LIKE 'liability:payable:%' AND NOT ${held('$1')}
       GROUP BY l.account, l.currency HAVING sum(-l.amount_minor) > 0
       ORDER BY l.account, l.currency`,
      [this.config.earningsHoldDays],
    );
    return rows.map((row) => ({ accountId: row.account_id, currency: row.currency }));
  }

  /**
   * The sales the account earned on, newest first: as seller (its proceeds) or as the creator of a
   * resold edition (its royalty), each split as the journal booked it. Keyset pages over the entry.
   */
  async sales(accountId: string, query: { limit?: number; cursor?: string }) {
    const limit = query.limit ?? 20;
    const rows: SaleRow[] = await this.dataSource.query(
      `SELECT e.id AS entry_id, e.order_id, e.created_at AS booked_at, o.token_id, o.seller_id, t.creator_id,
              min(l.currency) AS currency,
              sum(l.amount_minor) FILTER (WHERE l.account = $2) AS gross,
              coalesce(-sum(l.amount_minor) FILTER (WHERE l.account = $3), 0) AS processor_fee,
              coalesce(-sum(l.amount_minor) FILTER (WHERE l.account = $4), 0) AS platform_fee,
              coalesce(-sum(l.amount_minor) FILTER (WHERE l.account = 'liability:payable:' || t.creator_id), 0)
                AS to_creator,
              coalesce(-sum(l.amount_minor) FILTER (WHERE l.account = 'liability:payable:' || o.seller_id), 0)
                AS to_seller,
              (SELECT coalesce(max(split_part(r.kind, ':', 2)::bigint), 0) FROM journal_entries r
               WHERE r.order_id = e.order_id AND r.kind LIKE 'refund:%') AS refunded
       FROM journal_entries e
         JOIN orders o ON o.id = e.order_id JOIN tokens t ON t.id = o.token_id
         JOIN journal_lines l ON l.entry_id = e.id
       WHERE e.kind = 'sale'
         AND e.id IN (SELECT m.entry_id FROM journal_lines m WHERE m.account = $1)
         AND ($5::bigint IS NULL OR e.id < $5)
       GROUP BY e.id, o.id, t.id
       ORDER BY e.id DESC LIMIT $6`,
      [
        journalAccounts.payable(accountId),
        journalAccounts.processorClearing,
        journalAccounts.processorFees,
        journalAccounts.platformRevenue,
        query.cursor ?? null,
        limit + 1,
      ],
    );
    const holdMs = this.config.earningsHoldDays * 86_400_000;
    return keysetPage(
      rows,
      limit,
      (row) => {
        const ownResale = row.creator_id === row.seller_id;
        // A creator reselling their own edition is paid royalty and proceeds on one account: all proceeds.
        const royalty = ownResale ? 0 : Number(row.to_creator);
        const proceeds = ownResale ? Number(row.to_creator) : Number(row.to_seller);
        const role: 'seller' | 'creator' = row.seller_id === accountId ? 'seller' : 'creator';
        const bookedAt = new Date(row.booked_at);
        return {
          orderId: row.order_id,
          tokenId: row.token_id,
          role,
          currency: row.currency,
          priceMinor: Number(row.gross),
          platformFeeMinor: Number(row.platform_fee),
          processorFeeMinor: Number(row.processor_fee),
          royaltyMinor: royalty,
          proceedsMinor: proceeds,
          earnedMinor: role === 'seller' ? proceeds : royalty,
          refundedMinor: Number(row.refunded),
          bookedAt: bookedAt.toISOString(),
          availableFrom: new Date(bookedAt.getTime() + holdMs).toISOString(),
        };
      },
      (last) => last.entry_id,
    );
  }
}
