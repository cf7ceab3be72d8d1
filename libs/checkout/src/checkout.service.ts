import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inTransaction, isUniqueViolation, updateReturning } from '#database';
import { problems } from '#http';
import { hasRole, IdentityService, type Principal } from '#identity';
import { PAYMENT_PROVIDER, type PaymentOutcome, type PaymentProvider } from '#payments';
import type { CheckoutDto } from './checkout.dto.js';
import { HOLDING_STATUSES } from './order-state.js';
import { releaseListing, setOrderStatus, type ListingRow, type OrderRow } from './order.repository.js';
import { PaymentEventsService } from './payment-events.service.js';

export interface OrderView {
  orderId: string;
  status: OrderRow['status'];
  tokenId: string;
  listingId: string;
  amountMinor: number;
  currency: string;
  reservedUntil: string;
  paymentId: string | null;
  declineCode: string | null;
  card: { brand: string; last4: string } | null;
  nextAction?: { type: string; url?: string; clientSecret?: string };
}

export function toOrderView(order: OrderRow, nextAction?: OrderView['nextAction']): OrderView {
  return {
    orderId: order.id,
    status: order.status,
    tokenId: order.token_id,
    listingId: order.listing_id,
    amountMinor: Number(order.amount_minor),
    currency: order.currency,
    reservedUntil: new Date(order.reserved_until).toISOString(),
    paymentId: order.payment_id,
    declineCode: order.decline_code,
    card: order.card_brand && order.card_last4 ? { brand: order.card_brand, last4: order.card_last4 } : null,
    ...(nextAction ? { nextAction } : {}),
  };
}

/**
 * Checkout: reserve one edition (row locks, SKIP LOCKED — safe across processes), then pay through
 * the payment port. A succeeded payment settles through the same path as its webhook.
 */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly identity: IdentityService,
    private readonly events: PaymentEventsService,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  async checkout(principal: Principal, request: CheckoutDto): Promise<OrderView> {
    if ((request.listingId === undefined) === (request.dropId === undefined)) {
      throw problems.badRequest('bad-checkout', 'Give exactly one of listingId or dropId');
    }
    if (this.provider.rail === 'stripe' && request.card) {
      throw problems.badRequest(
        'card-data-refused',
        'Card numbers are never sent to Heirloom; use paymentMethodId',
      );
    }
    const previous = await this.findByKey(principal.accountId, request.idempotencyKey);
    if (previous) return toOrderView(previous);
    let order: OrderRow;
    try {
      order = await inTransaction(this.dataSource, (manager) =>
        this.reserve(manager, principal.accountId, request),
      );
    } catch (error) {
      if (!isUniqueViolation(error, 'orders_buyer_idempotency_key')) throw error;
      return toOrderView((await this.findByKey(principal.accountId, request.idempotencyKey))!);
    }
    const outcome = await this.provider.createPayment({
      orderId: order.id,
      amount: Number(order.amount_minor),
      currency: order.currency.toLowerCase(),
      idempotencyKey: `order:${order.id}:pay`,
      card: request.card,
      paymentMethodId: request.paymentMethodId,
      returnUrl: request.returnUrl,
    });
    return this.recordOutcome(order.id, outcome);
  }

  /** Completes (or abandons) a sandbox 3-D Secure challenge. */
  async completeChallenge(paymentId: string, approve: boolean): Promise<OrderView> {
    const outcome = await this.provider.confirmAction(paymentId, { approve });
    const [order]: OrderRow[] = await this.dataSource.query(`SELECT * FROM orders WHERE payment_id = $1`, [
      paymentId,
    ]);
    if (!order) throw problems.notFound('Order');
    return this.recordOutcome(order.id, outcome);
  }

  async getOrder(principal: Principal, orderId: string): Promise<OrderView> {
    const [order]: OrderRow[] = await this.dataSource.query(`SELECT * FROM orders WHERE id = $1`, [orderId]);
    if (!order || (order.buyer_id !== principal.accountId && !hasRole(principal, 'operator', 'auditor'))) {
      throw problems.notFound('Order');
    }
    return toOrderView(order);
  }

  /** Releases reservations whose time ran out; returns the expired orders' payment ids to cancel. */
  async expireReservations(): Promise<string[]> {
    return inTransaction(this.dataSource, async (manager) => {
      const expired = await updateReturning<{ id: string; listing_id: string; payment_id: string | null }>(
        manager,
        `UPDATE orders SET status = 'expired'
         WHERE id IN (SELECT id FROM orders WHERE status = ANY($1) AND reserved_until < now()
                      ORDER BY reserved_until LIMIT 5000 FOR UPDATE SKIP LOCKED)
         RETURNING id, listing_id, payment_id`,
        [HOLDING_STATUSES],
      );
      for (const order of expired) await releaseListing(manager, order.listing_id, order.id);
      return expired.map((o) => o.payment_id).filter((id): id is string => id !== null);
    });
  }

  private async reserve(manager: EntityManager, buyerId: string, request: CheckoutDto): Promise<OrderRow> {
    const [{ order_id: orderId }]: { order_id: string }[] = await manager.query(
      `SELECT gen_random_uuid() AS order_id`,
    );
    const ttlSeconds = this.config.reservationTtlSeconds;
    const listing = request.dropId
      ? await this.reserveFromDrop(manager, request.dropId, buyerId, orderId, ttlSeconds)
      : await this.reserveListing(manager, request.listingId!, buyerId, orderId, ttlSeconds);
    if (listing.seller_id === buyerId)
      throw problems.conflict('own-listing', 'You cannot buy your own listing');
    await this.checkBuyerPolicy(manager, buyerId, listing);
    const [order]: OrderRow[] = await manager.query(
      `INSERT INTO orders (id, buyer_id, listing_id, token_id, drop_id, seller_id, amount_minor, currency, status,
         idempotency_key, reserved_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'reserved', $9, $10) RETURNING *`,
      [
        orderId,
        buyerId,
        listing.id,
        listing.token_id,
        listing.drop_id,
        listing.seller_id,
        listing.price_minor,
        listing.currency,
        request.idempotencyKey,
        listing.reserved_until,
      ],
    );
    return order;
  }

  private async reserveListing(
    manager: EntityManager,
    listingId: string,
    buyerId: string,
    orderId: string,
    ttl: number,
  ) {
    const [listing] = await updateReturning<ListingRow>(
      manager,
      `UPDATE listings SET reserved_order = $2, reserved_for = $3, reserved_until = now() + $4 * interval '1 second'
       WHERE id = $1 AND status = 'active' AND drop_id IS NULL
         AND (reserved_until IS NULL OR reserved_until < now())
       RETURNING *`,
      [listingId, orderId, buyerId, ttl],
    );
    if (!listing)
      throw problems.conflict('not-available', 'This edition is sold or reserved by another buyer');
    return listing;
  }

  private async reserveFromDrop(
    manager: EntityManager,
    dropId: string,
    buyerId: string,
    orderId: string,
    ttl: number,
  ) {
    const [drop]: { starts_at: Date; mode: string; drawn_at: Date | null }[] = await manager.query(
      `SELECT starts_at, mode, drawn_at FROM drops WHERE id = $1`,
      [dropId],
    );
    if (!drop) throw problems.notFound('Drop');
    if (drop.starts_at > new Date())
      throw problems.conflict('drop-not-started', 'The drop has not started yet');
    if (drop.mode === 'lottery' && !drop.drawn_at) {
      throw problems.conflict('lottery-not-drawn', 'Enter the lottery; winners can check out after the draw');
    }
    // Buyers take any free edition, skipping rows other checkouts have locked, so concurrent
    // buyers never wait on each other.
    // After a lottery, each winner holds an allocated edition until the claim window ends.
    const allocation =
      drop.mode === 'lottery'
        ? 'AND (allocated_to = $3 OR allocated_until < now()) ORDER BY allocated_to = $3 DESC NULLS LAST'
        : 'AND allocated_to IS NULL';
    const [listing] = await updateReturning<ListingRow>(
      manager,
      `UPDATE listings SET reserved_order = $2, reserved_for = $3, reserved_until = now() + $4 * interval '1 second'
       WHERE id = (
         SELECT id FROM listings
         WHERE drop_id = $1 AND status = 'active' AND (reserved_until IS NULL OR reserved_until < now()) ${allocation}
         LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [dropId, orderId, buyerId, ttl],
    );
    if (!listing) throw problems.conflict('sold-out', 'No edition of this drop is available right now');
    return listing;
  }

  /** Per-buyer limits and real-name requirements of the drop and the collection. */
  private async checkBuyerPolicy(
    manager: EntityManager,
    buyerId: string,
    listing: ListingRow,
  ): Promise<void> {
    const [policy]: {
      collection_id: string;
      collection_limit: number | null;
      drop_limit: number | null;
      real_name: boolean;
    }[] = await manager.query(
      `SELECT c.id AS collection_id, c.per_buyer_limit AS collection_limit, d.per_buyer_limit AS drop_limit,
                c.real_name_required AS real_name
         FROM tokens t JOIN collections c ON c.id = t.collection_id LEFT JOIN drops d ON d.id = $2
         WHERE t.id = $1`,
      [listing.token_id, listing.drop_id],
    );
    if (policy.real_name && !(await this.identity.isRealNameVerified(buyerId, manager))) {
      throw problems.forbidden('This collection requires real-name verification before buying');
    }
    const limit = policy.drop_limit ?? policy.collection_limit;
    if (limit === null) return;
    // One buyer's checkouts are serialised, so parallel requests cannot slip past the limit.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
      `buyer-limit:${buyerId}:${policy.collection_id}`,
    ]);
    const [{ count }]: { count: string }[] = await manager.query(
      `SELECT count(*) FROM orders o JOIN tokens t ON t.id = o.token_id
       WHERE o.buyer_id = $1 AND t.collection_id = $2 AND o.status IN ('reserved', 'requires_action', 'paid', 'disputed')
         AND ($3::uuid IS NULL OR o.drop_id = $3)`,
      [buyerId, policy.collection_id, policy.drop_limit === null ? null : listing.drop_id],
    );
    if (Number(count) >= limit) {
      throw problems.conflict('buyer-limit-reached', `At most ${limit} per buyer`);
    }
  }

  private async recordOutcome(orderId: string, outcome: PaymentOutcome): Promise<OrderView> {
    switch (outcome.status) {
      case 'succeeded':
        // Settlement is driven by the stored event: the sandbox has delivered it already, Stripe's
        // webhook may still be on its way. Apply whatever is stored for this payment now.
        await this.recordPaymentId(orderId, outcome.paymentId);
        await this.events.processForPayment(outcome.paymentId);
        break;
      case 'requires_action':
      case 'processing':
        await this.dataSource.transaction(async (manager) => {
          const [order]: OrderRow[] = await manager.query(`SELECT * FROM orders WHERE id = $1 FOR UPDATE`, [
            orderId,
          ]);
          if (order.status === 'reserved') {
            await setOrderStatus(
              manager,
              orderId,
              outcome.status === 'requires_action' ? 'requires_action' : 'reserved',
              {
                payment_id: outcome.paymentId,
              },
            );
          }
        });
        break;
      case 'declined':
      case 'canceled':
        await this.dataSource.transaction(async (manager) => {
          const [order]: OrderRow[] = await manager.query(`SELECT * FROM orders WHERE id = $1 FOR UPDATE`, [
            orderId,
          ]);
          if (HOLDING_STATUSES.includes(order.status)) {
            await setOrderStatus(manager, orderId, 'failed', {
              payment_id: outcome.paymentId ?? null,
              decline_code: outcome.status === 'declined' ? outcome.declineCode : 'canceled',
            });
            await releaseListing(manager, order.listing_id, orderId);
          }
        });
        break;
    }
    const [order]: OrderRow[] = await this.dataSource.query(`SELECT * FROM orders WHERE id = $1`, [orderId]);
    const nextAction =
      outcome.status === 'requires_action' && order.status === 'requires_action'
        ? { type: outcome.nextAction.type, url: outcome.nextAction.url, clientSecret: outcome.clientSecret }
        : undefined;
    return toOrderView(order, nextAction);
  }

  private async recordPaymentId(orderId: string, paymentId: string): Promise<void> {
    await this.dataSource.query(`UPDATE orders SET payment_id = $2 WHERE id = $1 AND payment_id IS NULL`, [
      orderId,
      paymentId,
    ]);
  }

  private async findByKey(buyerId: string, key: string): Promise<OrderRow | undefined> {
    const [order]: OrderRow[] = await this.dataSource.query(
      `SELECT * FROM orders WHERE buyer_id = $1 AND idempotency_key = $2`,
      [buyerId, key],
    );
    return order;
  }
}
