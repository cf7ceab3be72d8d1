import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HoldingsService } from '#custody';
import { IdentityService } from '#identity';

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

/**
 * Everything the platform holds about one account, for the account holder (the right of access
 * and portability). Reads only; each table is read where its owner lib keeps it. Never the
 * secrets kept to check credentials (password hash, session and API-key hashes) or the keyed
 * digest of the ID number, and never another person's data: a seller sees no buyer's card.
 */
@Injectable()
export class DataExportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly identity: IdentityService,
    private readonly holdings: HoldingsService,
  ) {}

  /** The account's personal data export. */
  async export(accountId: string) {
    const db = this.dataSource.manager;
    const [account, realName, sessions, apiKeys] = await Promise.all([
      this.accountOf(db, accountId),
      this.realNameOf(db, accountId),
      this.sessionsOf(db, accountId),
      this.apiKeysOf(db, accountId),
    ]);
    const [orders, holdings, gifts, listings, lotteryEntries] = await Promise.all([
      this.ordersOf(db, accountId),
      this.allHoldings(accountId),
      this.giftsOf(db, accountId),
      this.listingsOf(db, accountId),
      this.lotteryEntriesOf(db, accountId),
    ]);
    const [collections, mediaUploads, operatorActions, moneyOwedToYou] = await Promise.all([
      this.collectionsOf(db, accountId),
      this.mediaUploadsOf(db, accountId),
      this.operatorActionsAbout(db, accountId),
      this.payablesOf(db, accountId),
    ]);
    const [appeals, notifications, payouts, webhookEndpoints] = await Promise.all([
      this.appealsOf(db, accountId),
      this.notificationsOf(db, accountId),
      this.payoutsOf(db, accountId),
      this.webhookEndpointsOf(db, accountId),
    ]);
    return {
      exportedAt: new Date().toISOString(),
      account,
      realName,
      sessions,
      apiKeys,
      orders,
      holdings,
      gifts,
      listings,
      lotteryEntries,
      collections,
      mediaUploads,
      operatorActions,
      moneyOwedToYou,
      appeals,
      notifications,
      payouts,
      webhookEndpoints,
    };
  }

  /** Webhook endpoints the account registered; never their signing secrets. */
  private async webhookEndpointsOf(db: EntityManager, accountId: string) {
    const rows: {
      id: string;
      url: string;
      description: string | null;
      event_types: string[];
      enabled: boolean;
      created_at: Date;
    }[] = await db.query(
      `SELECT id, url, description, event_types, enabled, created_at FROM webhook_endpoints
       WHERE account_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((row) => ({
      endpointId: row.id,
      url: row.url,
      description: row.description,
      eventTypes: row.event_types,
      enabled: row.enabled,
      createdAt: iso(row.created_at)!,
    }));
  }

  private async payoutsOf(db: EntityManager, accountId: string) {
    const rows: {
      id: string;
      amount_minor: string;
      currency: string;
      status: string;
      requested_at: Date;
      settled_at: Date | null;
    }[] = await db.query(
      `SELECT id, amount_minor, currency, status, requested_at, settled_at FROM payouts
       WHERE account_id = $1 ORDER BY requested_at, id`,
      [accountId],
    );
    return rows.map((row) => ({
      payoutId: row.id,
      amountMinor: Number(row.amount_minor),
      currency: row.currency,
      status: row.status,
      requestedAt: iso(row.requested_at)!,
      settledAt: iso(row.settled_at),
    }));
  }

  private async appealsOf(db: EntityManager, accountId: string) {
    const rows: {
      id: string;
      token_id: string;
      message: string;
      status: string;
      created_at: Date;
      decided_at: Date | null;
      decision_reason: string | null;
    }[] = await db.query(
      `SELECT id, token_id, message, status, created_at, decided_at, decision_reason FROM freeze_appeals
       WHERE owner_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((row) => ({
      appealId: row.id,
      tokenId: row.token_id,
      message: row.message,
      status: row.status,
      createdAt: iso(row.created_at)!,
      decidedAt: iso(row.decided_at),
      decisionReason: row.decision_reason,
    }));
  }

  private async notificationsOf(db: EntityManager, accountId: string) {
    const rows: {
      kind: string;
      subject_id: string;
      data: Record<string, unknown>;
      created_at: Date;
      read_at: Date | null;
    }[] = await db.query(
      `SELECT kind, subject_id, data, created_at, read_at FROM notifications WHERE account_id = $1 ORDER BY id`,
      [accountId],
    );
    return rows.map((row) => ({
      kind: row.kind,
      subjectId: row.subject_id,
      data: row.data,
      createdAt: iso(row.created_at)!,
      readAt: iso(row.read_at),
    }));
  }

  private async accountOf(db: EntityManager, accountId: string) {
    const view = await this.identity.getAccount(accountId);
    const [row]: { creator_applied_at: Date | null; frozen_at: Date | null; frozen_reason: string | null }[] =
      await db.query(`SELECT creator_applied_at, frozen_at, frozen_reason FROM accounts WHERE id = $1`, [
        accountId,
      ]);
    return {
      ...view,
      creatorAppliedAt: iso(row!.creator_applied_at),
      frozenAt: iso(row!.frozen_at),
      frozenReason: row!.frozen_reason,
    };
  }

  /** The verification's outcome, never the ID number's digest (the number itself is never kept). */
  private async realNameOf(db: EntityManager, accountId: string) {
    const [row]: { status: 'verified' | 'rejected'; provider: string; verified_at: Date; legacy: boolean }[] =
      await db.query(
        `SELECT status, provider, verified_at, id_hmac IS NULL AS legacy
         FROM real_name_verifications WHERE account_id = $1`,
        [accountId],
      );
    if (!row) return null;
    return {
      status: row.status,
      provider: row.provider,
      verifiedAt: iso(row.verified_at)!,
      idNumberKeptAs: row.legacy ? ('salted-hash' as const) : ('keyed-digest' as const),
    };
  }

  private async sessionsOf(db: EntityManager, accountId: string) {
    const rows: { id: string; created_at: Date; expires_at: Date; revoked_at: Date | null }[] =
      await db.query(
        `SELECT id, created_at, expires_at, revoked_at FROM sessions WHERE account_id = $1 ORDER BY created_at, id`,
        [accountId],
      );
    return rows.map((row) => ({
      id: row.id,
      createdAt: iso(row.created_at)!,
      expiresAt: iso(row.expires_at)!,
      revokedAt: iso(row.revoked_at),
    }));
  }

  private async apiKeysOf(db: EntityManager, accountId: string) {
    const rows: { id: string; name: string; created_at: Date; revoked_at: Date | null }[] = await db.query(
      `SELECT id, name, created_at, revoked_at FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: iso(row.created_at)!,
      revokedAt: iso(row.revoked_at),
    }));
  }

  /** Orders as buyer and as seller; the card (brand, last four) only on the account's own purchases. */
  private async ordersOf(db: EntityManager, accountId: string) {
    const rows: {
      id: string;
      buyer_id: string;
      token_id: string;
      listing_id: string;
      amount_minor: string;
      currency: string;
      status: string;
      card_brand: string | null;
      card_last4: string | null;
      created_at: Date;
      paid_at: Date | null;
    }[] = await db.query(
      `SELECT id, buyer_id, token_id, listing_id, amount_minor, currency, status, card_brand, card_last4,
              created_at, paid_at
       FROM orders WHERE buyer_id = $1 OR seller_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((row) => {
      const bought = row.buyer_id === accountId;
      return {
        orderId: row.id,
        side: bought ? ('bought' as const) : ('sold' as const),
        tokenId: row.token_id,
        listingId: row.listing_id,
        amountMinor: Number(row.amount_minor),
        currency: row.currency,
        status: row.status,
        cardBrand: bought ? row.card_brand : null,
        cardLast4: bought ? row.card_last4 : null,
        createdAt: iso(row.created_at)!,
        paidAt: iso(row.paid_at),
      };
    });
  }

  private async allHoldings(accountId: string) {
    const items = [];
    let cursor: string | undefined;
    do {
      const page = await this.holdings.list(accountId, { limit: 100, cursor });
      for (const item of page.items) {
        items.push({
          tokenId: item.tokenId,
          name: item.name,
          collectionName: item.collectionName,
          editionNumber: item.editionNumber,
          editionTotal: item.editionTotal,
          status: item.status,
          acquiredAt: item.acquiredAt,
        });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return items;
  }

  /** Gifts given and received; the other side by public handle only. */
  private async giftsOf(db: EntityManager, accountId: string) {
    const rows: { id: string; token_id: string; given: boolean; other_handle: string; created_at: Date }[] =
      await db.query(
        `SELECT g.id, g.token_id, g.from_id = $1 AS given, o.handle AS other_handle, g.created_at
         FROM gifts g JOIN accounts o ON o.id = CASE WHEN g.from_id = $1 THEN g.to_id ELSE g.from_id END
         WHERE g.from_id = $1 OR g.to_id = $1 ORDER BY g.created_at, g.id`,
        [accountId],
      );
    return rows.map((row) => ({
      giftId: row.id,
      tokenId: row.token_id,
      direction: row.given ? ('given' as const) : ('received' as const),
      otherHandle: row.other_handle,
      at: iso(row.created_at)!,
    }));
  }

  private async listingsOf(db: EntityManager, accountId: string) {
    const rows: {
      id: string;
      token_id: string;
      kind: string;
      price_minor: string;
      currency: string;
      status: string;
      created_at: Date;
    }[] = await db.query(
      `SELECT id, token_id, kind, price_minor, currency, status, created_at
       FROM listings WHERE seller_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((row) => ({
      listingId: row.id,
      tokenId: row.token_id,
      kind: row.kind,
      priceMinor: Number(row.price_minor),
      currency: row.currency,
      status: row.status,
      createdAt: iso(row.created_at)!,
    }));
  }

  private async lotteryEntriesOf(db: EntityManager, accountId: string) {
    const rows: { drop_id: string; created_at: Date; won: boolean | null }[] = await db.query(
      `SELECT drop_id, created_at, won FROM drop_entries WHERE buyer_id = $1 ORDER BY created_at, drop_id`,
      [accountId],
    );
    return rows.map((row) => ({ dropId: row.drop_id, enteredAt: iso(row.created_at)!, won: row.won }));
  }

  private async collectionsOf(db: EntityManager, accountId: string) {
    const rows: { id: string; name: string; created_at: Date }[] = await db.query(
      `SELECT id, name, created_at FROM collections WHERE creator_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map((row) => ({ collectionId: row.id, name: row.name, createdAt: iso(row.created_at)! }));
  }

  private async mediaUploadsOf(db: EntityManager, accountId: string) {
    const rows: { cid: string; uploaded_at: Date }[] = await db.query(
      `SELECT cid, uploaded_at FROM media_uploads WHERE account_id = $1 ORDER BY uploaded_at, cid`,
      [accountId],
    );
    return rows.map((row) => ({ cid: row.cid, uploadedAt: iso(row.uploaded_at)! }));
  }

  /**
   * Operators' acts about the account: on it, on its orders (as buyer or seller) and on the tokens
   * it holds; and, for an operator, the acts it did. Never the other operator's identity.
   */
  private async operatorActionsAbout(db: EntityManager, accountId: string) {
    const rows: {
      id: string;
      action: string;
      subject_kind: string;
      subject_id: string;
      reason: string;
      at: Date;
      by_you: boolean;
    }[] = await db.query(
      `SELECT a.id, a.action, a.subject_kind, a.subject_id, a.reason, a.at, a.actor_id = $1 AS by_you
       FROM operator_actions a
       WHERE a.actor_id = $1
          OR (a.subject_kind = 'account' AND a.subject_id = $1::text)
          OR (a.subject_kind = 'order' AND a.subject_id IN
                (SELECT id::text FROM orders WHERE buyer_id = $1 OR seller_id = $1))
          OR (a.subject_kind = 'token' AND a.subject_id IN (SELECT id FROM tokens WHERE owner_id = $1))
       ORDER BY a.id`,
      [accountId],
    );
    return rows.map((row) => ({
      action: row.action,
      subjectKind: row.subject_kind,
      subjectId: row.subject_id,
      reason: row.reason,
      at: iso(row.at)!,
      byYou: row.by_you,
    }));
  }

  /** What the platform owes the account (sale proceeds and royalties), per currency. */
  private async payablesOf(db: EntityManager, accountId: string) {
    const rows: { currency: string; owed: string }[] = await db.query(
      `SELECT currency, -sum(amount_minor) AS owed FROM journal_lines WHERE account = $1
       GROUP BY currency HAVING sum(amount_minor) <> 0 ORDER BY currency`,
      [`liability:payable:${accountId}`],
    );
    return rows.map((row) => ({ currency: row.currency, amountMinor: Number(row.owed) }));
  }
}
