import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inLockedTransaction, inTransaction, isUniqueViolation } from '#database';
import { problems } from '#http';
import { hasRole, type Principal } from '#identity';
import { releaseListing, tokenOffer } from '#market';
import {
  findOrderByKey,
  HOLDING_STATUSES,
  lockOrder,
  moveLockedOrder,
  moveOrder,
  moveOrders,
  nextStepOf,
  recordPaymentId,
  recordProcessingPaymentId,
  type OrderRow,
} from '#orders';
import {
  PAYMENT_PROVIDER,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentRequestInvalidError,
  type PaymentOutcome,
  type PaymentProvider,
} from '#payments';
import { owePaymentCancels, PaymentEventsService } from '#settlement';
import {
  dropNotFound,
  paymentDetailsRefused,
  paymentProviderUnavailable,
  unpaidHoldLimit,
} from './checkout-errors.js';
import type { CheckoutDto, PayDto } from './checkout.dto.js';
import { nextActionOf, toOrderView, type OrderShape } from './checkout.views.js';
import { idempotencyLockKey } from './lock-keys.js';
import { OrderReads } from './order-reads.js';
import { assertDropOpen, ReservationService, type DropCheckout } from './reservation.service.js';

/** The order as the API answers it (documented by the `OrderView` class in checkout.views.ts). */
export type OrderView = OrderShape;

/**
 * Checkout: reserve one edition (row locks, SKIP LOCKED — safe across processes), then pay through
 * the payment port. A succeeded payment settles through the same path as its webhook.
 */
@Injectable()
export class CheckoutService {
  private readonly reads: OrderReads;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly reservations: ReservationService,
    private readonly events: PaymentEventsService,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {
    this.reads = new OrderReads(dataSource.manager);
  }

  async checkout(principal: Principal, request: CheckoutDto): Promise<OrderView> {
    const targets = [request.listingId, request.dropId, request.tokenId].filter((id) => id !== undefined);
    if (targets.length !== 1) {
      throw problems.badRequest('bad-checkout', 'Give exactly one of listingId, dropId or tokenId');
    }
    if (request.tokenId !== undefined) return this.checkoutToken(principal, request.tokenId, request);
    if (this.provider.rail === 'stripe' && request.card) throw cardDataRefused();
    const buyerId = principal.accountId;
    const drop = request.dropId
      ? await this.reservations.dropForCheckout(request.dropId, buyerId, request.idempotencyKey)
      : undefined;
    const previous =
      !drop || drop.previous_id
        ? await findOrderByKey(this.dataSource.manager, buyerId, request.idempotencyKey)
        : undefined;
    if (previous) return this.replay(previous, request);
    // Most attempts at a popular drop come after it sold out: answer them without a transaction.
    if (drop && !drop.drop_id) throw await dropNotFound(this.dataSource.manager, request.dropId!);
    if (drop) this.assertMayReserve(drop);
    let order: OrderRow;
    try {
      // Requests with one key queue on its lock, so a retry racing its original gets the original's
      // order, not a sold-out or buyer-limit answer caused by the original's own reservation.
      const fast =
        drop && (await this.reservations.reserveFromPlainDrop(drop, buyerId, request.idempotencyKey));
      const reserved = fast
        ? { order: fast }
        : await inLockedTransaction(
            this.dataSource,
            idempotencyLockKey(buyerId, request.idempotencyKey),
            (manager) => this.reservations.reserveOrReplay(manager, buyerId, request, drop),
          );
      if (reserved.replay) return this.replay(reserved.replay, request);
      order = reserved.order;
    } catch (error) {
      if (!isUniqueViolation(error, 'orders_buyer_idempotency_key')) throw error;
      return this.replay(
        (await findOrderByKey(this.dataSource.manager, principal.accountId, request.idempotencyKey))!,
        request,
      );
    }
    if (!this.paysAtCheckout(request)) return toOrderView(order);
    return this.startPayment(order, request);
  }

  /**
   * Reserve only (the Payment Element flow) on the sandbox without payment details: the client pays
   * with POST /orders/:id/pay. Stripe always gets its PaymentIntent, so the client has a client secret.
   */
  private paysAtCheckout(request: PaymentDetails): boolean {
    return (
      this.provider.rail === 'stripe' || request.card !== undefined || request.paymentMethodId !== undefined
    );
  }

  /** Checkout of the token a buyer is looking at: its current offer, as a listing or a drop. */
  private async checkoutToken(
    principal: Principal,
    tokenId: string,
    request: CheckoutDto,
  ): Promise<OrderView> {
    const previous = await findOrderByKey(
      this.dataSource.manager,
      principal.accountId,
      request.idempotencyKey,
    );
    if (previous) return this.replay(previous, request);
    const offer = await tokenOffer(this.dataSource.manager, tokenId);
    if (!offer) throw problems.conflict('not-for-sale', 'This token is not for sale right now', { tokenId });
    const target = offer.dropId ? { dropId: offer.dropId } : { listingId: offer.listingId };
    return this.checkout(principal, { ...request, tokenId: undefined, ...target });
  }

  /**
   * A checkout retried with its key: the same order. One still waiting for its payment (the first
   * attempt crashed or met a 503 before the processor answered) is paid now, as the first would have;
   * one awaiting Stripe's 3-D Secure or Payment Element gets its client secret again.
   */
  private async replay(order: OrderRow, request: CheckoutDto): Promise<OrderView> {
    if (nextStepOf(order) === 'pay' && this.paysAtCheckout(request)) return this.startPayment(order, request);
    if (nextStepOf(order) === 'authenticate') return toOrderView(order, await this.currentNextAction(order));
    return toOrderView(order);
  }

  /** Refuses checkout at a drop that is closed or sold out, or by a buyer at the cap on unpaid holds. */
  private assertMayReserve(drop: DropCheckout): void {
    assertDropOpen(drop);
    // Enforced again under the buyer's lock when reserving; this answers most refusals cheaply.
    if (drop.unpaid_holds >= this.config.maxUnpaidHolds) throw unpaidHoldLimit(this.config.maxUnpaidHolds);
  }

  /** Pays for a reserved order (second step of a reserve-then-pay checkout); repeating it is harmless. */
  async pay(principal: Principal, orderId: string, payment: PaymentDetails): Promise<OrderView> {
    if (this.provider.rail === 'stripe' && payment.card) throw cardDataRefused();
    const order = await this.reads.order(orderId);
    if (!order || order.buyer_id !== principal.accountId) throw problems.notFound('Order');
    if (!HOLDING_STATUSES.includes(order.status)) {
      if (order.payment_id) return toOrderView(order); // already paid or failed
      throw problems.conflict('order-not-payable', `The order is ${order.status}; check out again`);
    }
    if (order.reserved_until <= new Date()) {
      throw problems.conflict('reservation-expired', 'The reservation has expired; check out again');
    }
    if (order.payment_id === null) return this.startPayment(order, payment);
    if (order.status === 'requires_action') return this.continuePayment(order, payment);
    return toOrderView(order); // a payment is settling
  }

  /**
   * An order whose payment awaits the buyer. On Stripe, a payment method confirms the PaymentIntent
   * made at checkout (the Payment Element's server-side confirmation); without one the intent's client
   * secret and next action are read again (the sandbox's challenge link likewise).
   */
  private async continuePayment(order: OrderRow, payment: PaymentDetails): Promise<OrderView> {
    const paymentId = order.payment_id!;
    if (!payment.paymentMethodId || !this.provider.confirmPayment) {
      return toOrderView(order, await this.currentNextAction(order));
    }
    const outcome = await this.callProvider(order, () =>
      this.provider.confirmPayment!(paymentId, {
        paymentMethodId: payment.paymentMethodId!,
        returnUrl: payment.returnUrl,
        idempotencyKey: `order:${order.id}:confirm:${payment.paymentMethodId}`,
      }),
    );
    return this.recordOutcome(order.id, outcome);
  }

  /** What the browser needs to finish a payment awaiting the buyer, read from the processor. */
  private async currentNextAction(order: OrderRow): Promise<OrderView['nextAction']> {
    if (!order.payment_id) return undefined;
    const outcome = await this.callProvider(order, () => this.provider.retrievePayment(order.payment_id!));
    return nextActionOf(outcome);
  }

  /** Runs a processor call for a held order; unreachable, the answer says how to pay it later. */
  private async callProvider<T>(order: OrderRow, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof PaymentProviderUnavailableError) throw paymentProviderUnavailable(order);
      throw error;
    }
  }

  private async startPayment(order: OrderRow, payment: PaymentDetails): Promise<OrderView> {
    let outcome: PaymentOutcome;
    try {
      outcome = await this.callProvider(order, () =>
        this.provider.createPayment({
          orderId: order.id,
          amount: Number(order.amount_minor),
          currency: order.currency.toLowerCase(),
          idempotencyKey: `order:${order.id}:pay`,
          card: payment.card,
          paymentMethodId: payment.paymentMethodId,
          returnUrl: payment.returnUrl,
        }),
      );
    } catch (error) {
      if (!(error instanceof PaymentRequestInvalidError)) throw error;
      // Refused details (e.g. an unknown payment method) are a failed attempt: the edition goes back
      // on sale — unless another attempt has a payment under way, which may still settle the order.
      await this.failOrder(
        order.id,
        { decline_code: 'payment_request_invalid' },
        (locked) => locked.status === 'reserved' && locked.payment_id === null,
      );
      throw paymentDetailsRefused(error.message);
    }
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
    const buyer = order?.buyer_id === principal.accountId;
    if (!order || (!buyer && !hasRole(principal, 'operator', 'auditor'))) {
      throw problems.notFound('Order');
    }
    // The client secret is the buyer's alone: only they get it, read again from the processor.
    if (!buyer || nextStepOf(order) !== 'authenticate') return toOrderView(order);
    return toOrderView(order, await this.nextActionIfReachable(order));
  }

  /** A read must not fail because the processor is unreachable: the order is answered without it. */
  private async nextActionIfReachable(order: OrderRow): Promise<OrderView['nextAction']> {
    try {
      return await this.currentNextAction(order);
    } catch (error) {
      if (error instanceof PaymentProviderError) return undefined;
      throw error;
    }
  }

  /** Releases reservations whose time ran out and owes a cancel for each one's payment; returns their payment ids. */
  async expireReservations(): Promise<string[]> {
    return inTransaction(this.dataSource, async (manager) => {
      const lapsed: { id: string; listing_id: string; payment_id: string | null }[] = await manager.query(
        `SELECT id, listing_id, payment_id FROM orders WHERE status = ANY($1) AND reserved_until < now()
         ORDER BY reserved_until LIMIT 5000 FOR UPDATE SKIP LOCKED`,
        [HOLDING_STATUSES],
      );
      const moved = await moveOrders(
        manager,
        lapsed.map((order) => ({ orderId: order.id, from: HOLDING_STATUSES, to: 'expired' as const })),
      );
      const expired = lapsed.filter((_order, index) => moved[index]);
      for (const order of expired) await releaseListing(manager, order.listing_id, order.id);
      const paid = expired.filter((order) => order.payment_id !== null);
      // Owed in the same transaction as the expiry, so no crash loses a cancel (RefundService sends them).
      await owePaymentCancels(
        manager,
        paid.map((order) => ({ paymentId: order.payment_id!, orderId: order.id })),
      );
      return paid.map((order) => order.payment_id!);
    });
  }

  private async recordOutcome(orderId: string, outcome: PaymentOutcome): Promise<OrderView> {
    let settled: OrderRow | undefined;
    switch (outcome.status) {
      case 'succeeded':
        settled = await this.applyStoredEvents(orderId, outcome.paymentId);
        break;
      case 'requires_action':
      case 'processing':
        await this.awaitPayment(orderId, outcome.paymentId, outcome.status);
        break;
      case 'declined':
      case 'canceled':
        await this.failOrder(orderId, {
          payment_id: outcome.paymentId ?? null,
          decline_code: outcome.status === 'declined' ? outcome.declineCode : 'canceled',
        });
        break;
    }
    const order = settled ?? (await this.readOrder(orderId));
    return toOrderView(order, order.status === 'requires_action' ? nextActionOf(outcome) : undefined);
  }

  /**
   * A payment the processor has but that has not settled: a reserved order records its id, and waits
   * for the buyer's 3-D Secure if asked. An order settled or failed meanwhile is left as it is.
   */
  private async awaitPayment(
    orderId: string,
    paymentId: string,
    status: 'requires_action' | 'processing',
  ): Promise<void> {
    const manager = this.dataSource.manager;
    if (status === 'processing') {
      await recordProcessingPaymentId(manager, orderId, paymentId);
      return;
    }
    await moveOrder(manager, {
      orderId,
      from: ['reserved'],
      to: 'requires_action',
      set: { payment_id: paymentId },
    });
  }

  /** Marks a still-holding order failed and releases its edition, in one transaction. */
  private async failOrder(
    orderId: string,
    fields: { payment_id?: string | null; decline_code: string },
    mayFail = (order: OrderRow) => HOLDING_STATUSES.includes(order.status),
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const order = (await lockOrder(manager, { orderId }))!;
      if (!mayFail(order)) {
        // Settled by its event first (the sandbox delivers before answering): keep the payment id.
        if (fields.payment_id && order.payment_id === null)
          await this.recordPaymentId(orderId, fields.payment_id, manager);
        return;
      }
      await moveLockedOrder(manager, order, 'failed', fields);
      await releaseListing(manager, order.listing_id, orderId);
    });
  }

  /**
   * Settlement is driven by the stored event, on both rails: the sandbox has delivered (and applied)
   * it through the webhook inbox before answering, Stripe's webhook may still be on its way. The
   * order is read as committed; if its payment id is unrecorded or events of the payment wait, those
   * are recorded and applied now, then the order is read again.
   */
  private async applyStoredEvents(orderId: string, paymentId: string): Promise<OrderRow> {
    const { order, eventsPending } = await this.reads.afterPayment(orderId, paymentId);
    if (order.payment_id !== null && !eventsPending) return order;
    await this.recordPaymentId(orderId, paymentId);
    await this.events.processForPayment(paymentId);
    return this.readOrder(orderId);
  }

  private async readOrder(orderId: string): Promise<OrderRow> {
    return (await this.reads.order(orderId))!;
  }

  private async recordPaymentId(
    orderId: string,
    paymentId: string,
    manager = this.dataSource.manager,
  ): Promise<void> {
    await recordPaymentId(manager, orderId, paymentId);
  }
}

type PaymentDetails = Pick<PayDto, 'card' | 'paymentMethodId' | 'returnUrl'>;

function cardDataRefused() {
  return problems.badRequest(
    'card-data-refused',
    'Card numbers are never sent to Heirloom; use paymentMethodId',
  );
}
