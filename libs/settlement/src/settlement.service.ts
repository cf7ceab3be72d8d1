import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { lockListing, relistAfterRevert, releaseListing } from '#market';
import { readLastMove } from '#ledger';
import { OwnershipService } from '#minting';
import { PolicyService } from '#policies';
import { notify, tokenNotice } from '#notifications';
import { splitSale } from '#money';
import { HOLDING_STATUSES, moveLockedOrder, moveOrder, type OrderRow, type OrderStatus } from '#orders';
import type { PaymentProviderEvent } from '#payments';
import { emitEvents } from '#webhooks';
import { readSaleBreakdown } from './sale-breakdown.js';
import { accounts, postJournal, postRefundSoFar, saleReversal, type JournalLine } from './journal.js';
import {
  lockOrderForEvent,
  lockOrdersForSale,
  markSold,
  type CompletedSale,
  type SaleLock,
} from './settlement.repository.js';

/** What applying one provider event did (stored beside the event for operators). */
export type SettlementOutcome =
  | 'settled'
  | 'refund-owed'
  | 'failed'
  | 'refunded'
  | 'partially-refunded'
  | 'frozen'
  | 'unfrozen'
  | 'reverted'
  | 'no-op'
  | 'deferred'
  | 'unknown-order';

/** The token's creator and the collection's royalty, for the sale's journal lines. */
type SaleParty = Pick<SaleLock, 'creator_id' | 'royalty_bps'>;

/** Orders still waiting for their payment to succeed. */
const AWAITING_PAYMENT: readonly OrderStatus[] = ['reserved', 'requires_action', 'expired', 'failed'];

/**
 * Applies verified payment events to orders, ownership, ledger and money journal — each in the
 * caller's transaction, each idempotent: a repeated, late or out-of-order event leaves the same state.
 */
@Injectable()
export class SettlementService {
  private readonly logger = new Logger(SettlementService.name);

  constructor(
    private readonly config: HeirloomConfig,
    private readonly ownership: OwnershipService,
    private readonly policies: PolicyService,
  ) {}

  async apply(manager: EntityManager, event: PaymentProviderEvent): Promise<SettlementOutcome> {
    if (event.type === 'payment_intent.succeeded') return (await this.applySucceeded(manager, [event]))[0];
    const order = await lockOrderForEvent(manager, event);
    if (!order) return this.unknownOrder(event);
    // Refund or dispute news that overtook the payment's success: keep it until the sale exists.
    if (event.type.startsWith('charge.') && AWAITING_PAYMENT.includes(order.status)) return 'deferred';
    switch (event.type) {
      case 'payment_intent.payment_failed':
      case 'payment_intent.canceled':
        return this.paymentFailed(manager, order, event);
      case 'charge.refunded':
        // Cumulative, so a replayed or overtaken event books nothing twice.
        return this.refunded(manager, order, event.amountRefunded ?? event.amount);
      case 'charge.dispute.created':
        return this.disputeOpened(manager, order, event.amount);
      case 'charge.dispute.closed':
        return this.disputeClosed(manager, order, event);
    }
  }

  private unknownOrder(event: PaymentProviderEvent): SettlementOutcome {
    this.logger.warn({ event: event.id, paymentId: event.paymentId }, 'payment event for an unknown order');
    return 'unknown-order';
  }

  /**
   * Payments captured (`payment_intent.succeeded` events of distinct payments): each sale completes
   * if the edition is still ours to sell, else a refund is owed. The sales are written together —
   * one statement for the orders' locks, one for tokens and ledger entries, one for listings, orders
   * and journal — so a batch of concurrent payments costs about what one did. Outcomes in the order
   * of `events`.
   */
  async applySucceeded(
    manager: EntityManager,
    events: readonly PaymentProviderEvent[],
  ): Promise<SettlementOutcome[]> {
    if (events.length === 0) return [];
    const orders = await lockOrdersForSale(manager, events);
    const ids = orders.flatMap((order) => (order ? [order.id] : []));
    if (new Set(ids).size !== ids.length)
      throw new Error('two payments of one order in one settlement batch');
    const outcomes: SettlementOutcome[] = [];
    const sales: { order: OrderRow & SaleLock; event: PaymentProviderEvent }[] = [];
    // Editions sold earlier in this batch: the rows were read before any of its sales was written.
    const sold = new Set<string>();
    for (const [index, event] of events.entries()) {
      const order = orders[index];
      if (!order) outcomes.push(this.unknownOrder(event));
      else if (!AWAITING_PAYMENT.includes(order.status)) outcomes.push('no-op');
      else {
        const sellable = isSellable(order) && !sold.has(order.listing_id) && !sold.has(order.token_id);
        if (!sellable || !amountMatches(order, event)) {
          outcomes.push(await this.refundOwed(manager, order, event, sellable));
        } else {
          sales.push({ order, event });
          sold.add(order.listing_id).add(order.token_id);
          outcomes.push('settled');
        }
      }
    }
    if (sales.length === 0) return outcomes;
    // The token rows were locked (and read) with the orders, and nothing has changed them since.
    await this.ownership.changeLocked(
      manager,
      sales.map(({ order }) => ({
        tokenId: order.token_id,
        change: { type: 'sale', to: order.buyer_id, ref: order.id },
        locked: {
          owner_id: order.token_owner,
          status: order.token_status,
          ledger_seq: order.token_ledger_seq,
          last_event_at: order.token_last_event_at,
        },
      })),
    );
    // The fee in force now applies to these sales; refunds later reverse them as booked.
    const { platformFeeBps } = await this.policies.current(manager);
    // Listings sold, orders paid and the sales' journal entries, in one statement.
    await markSold(
      manager,
      sales.map(({ order, event }) => ({
        listingId: order.listing_id,
        orderId: order.id,
        from: order.status,
        card: paymentCard(event),
        journal: {
          orderId: order.id,
          currency: order.currency,
          lines: this.saleLines(order, order.listing_kind, order, platformFeeBps),
        },
      })),
    );
    await notify(
      manager,
      sales.map(({ order }) => ({
        accountId: order.seller_id,
        kind: 'sale.completed',
        subject: { kind: 'order', id: order.id },
        data: {
          orderId: order.id,
          tokenId: order.token_id,
          priceMinor: Number(order.amount_minor),
          currency: order.currency,
        },
      })),
    );
    await emitEvents(
      manager,
      sales.flatMap(({ order }) => [
        {
          type: 'order.paid' as const,
          accountIds: [order.buyer_id, order.seller_id, order.creator_id],
          data: {
            orderId: order.id,
            tokenId: order.token_id,
            listingId: order.listing_id,
            buyerId: order.buyer_id,
            sellerId: order.seller_id,
            amountMinor: Number(order.amount_minor),
            currency: order.currency,
          },
        },
        transferredEvent(order, order.seller_id, order.buyer_id, 'sale'),
      ]),
    );
    return outcomes;
  }

  /** A payment captured for an edition no longer ours to sell (or for the wrong amount). */
  private async refundOwed(
    manager: EntityManager,
    order: OrderRow,
    event: PaymentProviderEvent,
    sellable: boolean,
  ): Promise<SettlementOutcome> {
    await moveLockedOrder(manager, order, 'refund_pending', paymentCard(event));
    await releaseListing(manager, order.listing_id, order.id);
    await manager.query(
      `INSERT INTO refund_requests (order_id, payment_id, amount_minor, reason) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id) DO NOTHING`,
      [order.id, event.paymentId, event.amount, sellable ? 'amount-mismatch' : 'edition-unavailable'],
    );
    // The processor charged its fee on this capture and keeps it when we refund: the platform's cost.
    const fee = splitSale(event.amount, this.feeRates(0, 0)).processorFee;
    await postJournal(manager, order.id, 'payment-to-refund', order.currency, [
      { account: accounts.processorClearing, amount: event.amount },
      { account: accounts.refundsOwed, amount: -event.amount },
      { account: accounts.processorFeesAbsorbed, amount: fee },
      { account: accounts.processorFees, amount: -fee },
    ]);
    return 'refund-owed';
  }

  private async paymentFailed(manager: EntityManager, order: OrderRow, event: PaymentProviderEvent) {
    const failed = await moveOrder(manager, {
      orderId: order.id,
      from: HOLDING_STATUSES,
      to: 'failed',
      set: { decline_code: event.failureCode ?? 'canceled' },
    });
    if (!failed) return 'no-op';
    await releaseListing(manager, order.listing_id, order.id);
    return 'failed';
  }

  /**
   * The processor refunded `refunded` so far: books what it refunded since the last booking. A
   * refund we owed completes once the whole captured payment is back (whatever the order's amount);
   * a sale is reversed pro rata, and only a full refund gives the token back to the seller.
   */
  private async refunded(
    manager: EntityManager,
    order: OrderRow,
    refunded: number,
  ): Promise<SettlementOutcome> {
    // Only a refund we owe completes this way; one an operator sent for a sale reverses the sale.
    const [owed]: { amount: number }[] = await manager.query(
      `SELECT amount_minor::float8 AS amount FROM refund_requests WHERE order_id = $1 AND kind = 'owed'`,
      [order.id],
    );
    if (owed) return this.owedRefunded(manager, order, Math.min(refunded, owed.amount), owed.amount);
    if (order.status !== 'paid' && order.status !== 'disputed') return 'no-op';
    const gross = Number(order.amount_minor);
    const sale = await this.soldLines(manager, order);
    const booked = await postRefundSoFar(manager, order, Math.min(refunded, gross), (r) =>
      saleReversal(sale, r),
    );
    if (booked) {
      const creatorId = (await this.saleParty(manager, order)).creator_id;
      await emitEvents(manager, [refundedEvent(order, Math.min(refunded, gross), creatorId)]);
    }
    if (refunded < gross) return booked ? 'partially-refunded' : 'no-op';
    await this.revertSale(manager, order);
    return 'reverted';
  }

  private async owedRefunded(manager: EntityManager, order: OrderRow, refunded: number, owed: number) {
    const booked = await postRefundSoFar(manager, order, refunded, (r) => [
      { account: accounts.refundsOwed, amount: r },
      { account: accounts.processorClearing, amount: -r },
    ]);
    // No sale took place: only the buyer, whose payment comes back, is concerned.
    if (booked) await emitEvents(manager, [refundedEvent(order, refunded, null, [order.buyer_id])]);
    const done =
      refunded >= owed &&
      (await moveOrder(manager, { orderId: order.id, from: ['refund_pending'], to: 'refunded' }));
    if (!done) return booked ? 'partially-refunded' : 'no-op';
    await manager.query(`UPDATE refund_requests SET status = 'sent' WHERE order_id = $1`, [order.id]);
    return 'refunded';
  }

  /**
   * A sale undone (full refund, dispute lost): the token goes back to the seller, the edition on
   * sale. If the token has changed hands since (gift, resale) or was burned, the ledger cannot
   * revert this sale: its current holder keeps it and only the money goes back.
   */
  private async revertSale(manager: EntityManager, order: OrderRow): Promise<void> {
    const lastMove = await readLastMove(manager, order.token_id);
    const [token]: { status: string }[] = await manager.query(`SELECT status FROM tokens WHERE id = $1`, [
      order.token_id,
    ]);
    const revertible = lastMove?.type === 'sale' && lastMove.ref === order.id && token.status !== 'burned';
    if (revertible) {
      const revert = { type: 'revert', to: order.seller_id, ref: order.id } as const;
      await this.ownership.change(manager, order.token_id, revert);
      await emitEvents(manager, [transferredEvent(order, order.buyer_id, order.seller_id, 'revert')]);
    }
    if (order.status === 'disputed')
      await this.ownership.change(manager, order.token_id, { type: 'unfreeze', ref: order.id });
    await moveLockedOrder(manager, order, 'refunded');
    if (revertible) await relistAfterRevert(manager, order.listing_id);
  }

  /**
   * The processor debits the disputed amount and its dispute fee when a dispute opens (not when it
   * closes), so the journal does too: the sale is reversed for the disputed amount as for a refund,
   * and the fee is the platform's expense. A lost dispute then moves no more money.
   */
  private async disputeOpened(manager: EntityManager, order: OrderRow, disputed: number) {
    if (!(await moveOrder(manager, { orderId: order.id, from: ['paid'], to: 'disputed' }))) return 'no-op';
    const frozen = await this.ownership.change(manager, order.token_id, { type: 'freeze', ref: order.id });
    await notify(manager, [tokenNotice(frozen.owner!, order.token_id, 'freeze', { cause: 'dispute' })]);
    await emitEvents(manager, [
      {
        type: 'token.frozen',
        accountIds: [frozen.owner],
        data: { tokenId: order.token_id, ownerId: frozen.owner, cause: 'dispute', orderId: order.id },
      },
    ]);
    const sale = await this.soldLines(manager, order);
    const fee = this.config.disputeFeeMinor;
    const [clearing, ...shares] = saleReversal(sale, Math.min(disputed, Number(order.amount_minor)));
    await postJournal(manager, order.id, 'dispute-opened', order.currency, [
      { account: clearing.account, amount: clearing.amount - fee },
      ...shares,
      { account: accounts.disputeFees, amount: fee },
    ]);
    return 'frozen';
  }

  /** Won: the processor credits the disputed amount back (not its fee). Lost: only ownership moves. */
  private async disputeClosed(manager: EntityManager, order: OrderRow, event: PaymentProviderEvent) {
    if (order.status === 'paid') return 'deferred'; // closed overtook created
    if (order.status !== 'disputed') return 'no-op';
    if (event.disputeStatus === 'lost') {
      await this.revertSale(manager, order);
      return 'reverted';
    }
    const sale = await this.soldLines(manager, order);
    const reversal = saleReversal(sale, Math.min(event.amount, Number(order.amount_minor)));
    const credited = reversal.map((line) => ({ account: line.account, amount: -line.amount }));
    await postJournal(manager, order.id, 'dispute-won', order.currency, credited);
    const unfrozen = await this.ownership.change(manager, order.token_id, {
      type: 'unfreeze',
      ref: order.id,
    });
    await notify(manager, [tokenNotice(unfrozen.owner!, order.token_id, 'unfreeze', { cause: 'dispute' })]);
    await moveLockedOrder(manager, order, 'paid');
    return 'unfrozen';
  }

  /** The journal lines the order's sale was booked with, read back from the journal. */
  private async soldLines(manager: EntityManager, order: OrderRow): Promise<JournalLine[]> {
    await lockListing(manager, order.listing_id);
    const { creator_id: creatorId } = await this.saleParty(manager, order);
    const sale = { orderId: order.id, sellerId: order.seller_id, creatorId };
    const booked = await readSaleBreakdown(manager, sale);
    if (!booked) throw new Error(`order ${order.id} is ${order.status} but no sale is booked for it`);
    return splitLines(
      {
        gross: booked.grossMinor,
        processorFee: booked.processorFeeMinor,
        platformFee: booked.platformFeeMinor,
        royalty: booked.royaltyMinor,
        sellerProceeds: booked.sellerProceedsMinor,
      },
      sale,
    );
  }

  private async saleParty(manager: EntityManager, order: OrderRow): Promise<SaleParty> {
    const [token]: SaleParty[] = await manager.query(
      `SELECT t.creator_id, c.royalty_bps FROM tokens t JOIN collections c ON c.id = t.collection_id WHERE t.id = $1`,
      [order.token_id],
    );
    return token;
  }

  private feeRates(platformFeeBps: number, royaltyBps: number) {
    const { processorFeeBps, processorFeeFixedMinor } = this.config;
    return { platformFeeBps, processorFeeBps, processorFeeFixedMinor, royaltyBps };
  }

  /** buyer payment = seller proceeds + creator royalty + platform fee + processor fee. */
  private saleLines(
    order: OrderRow,
    kind: 'primary' | 'resale',
    token: SaleParty,
    platformFeeBps: number,
  ): JournalLine[] {
    const royaltyBps = kind === 'resale' ? token.royalty_bps : 0;
    const split = splitSale(Number(order.amount_minor), this.feeRates(platformFeeBps, royaltyBps));
    return splitLines(split, { creatorId: token.creator_id, sellerId: order.seller_id });
  }
}

/** A sale's journal lines, in the order `saleReversal` expects: clearing, fees, royalty, proceeds. */
function splitLines(
  split: {
    gross: number;
    processorFee: number;
    platformFee: number;
    royalty: number;
    sellerProceeds: number;
  },
  parties: { creatorId: string; sellerId: string },
): JournalLine[] {
  return [
    { account: accounts.processorClearing, amount: split.gross },
    { account: accounts.processorFees, amount: -split.processorFee },
    { account: accounts.platformRevenue, amount: -split.platformFee },
    { account: accounts.payable(parties.creatorId), amount: -split.royalty },
    { account: accounts.payable(parties.sellerId), amount: -split.sellerProceeds },
  ];
}

/** `token.transferred` for an order's token changing hands (its sale, or the sale's reversal). */
function transferredEvent(order: OrderRow, fromId: string, toId: string, reason: 'sale' | 'revert') {
  return {
    type: 'token.transferred' as const,
    accountIds: [fromId, toId],
    data: { tokenId: order.token_id, fromId, toId, reason, orderId: order.id },
  };
}

/** `order.refunded`: `refunded` minor units of the order's payment given back so far. */
function refundedEvent(
  order: OrderRow,
  refunded: number,
  creatorId: string | null,
  accountIds: (string | null)[] = [order.buyer_id, order.seller_id, creatorId],
) {
  return {
    type: 'order.refunded' as const,
    accountIds,
    data: {
      orderId: order.id,
      tokenId: order.token_id,
      buyerId: order.buyer_id,
      sellerId: order.seller_id,
      amountMinor: Number(order.amount_minor),
      refundedMinor: refunded,
      currency: order.currency,
    },
  };
}

function paymentCard(event: PaymentProviderEvent): CompletedSale['card'] {
  return {
    payment_id: event.paymentId,
    card_brand: event.cardBrand ?? null,
    card_last4: event.cardLast4 ?? null,
  };
}

/** The listing and the token (locked with the order) still let this order buy the edition. */
function isSellable(order: OrderRow & SaleLock): boolean {
  const heldByOthers =
    order.listing_reserved_order !== null &&
    order.listing_reserved_order !== order.id &&
    order.listing_reserved_until! > new Date();
  return (
    order.listing_status === 'active' &&
    !heldByOthers &&
    order.token_owner === order.seller_id &&
    order.token_status === 'active'
  );
}

function amountMatches(order: OrderRow, event: PaymentProviderEvent): boolean {
  return event.amount === Number(order.amount_minor) && event.currency.toUpperCase() === order.currency;
}
