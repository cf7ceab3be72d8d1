import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { sql } from './app.js';
import type { Client } from './http.js';
import { createCollection, mintEditions, type TestUser } from './factories.js';

export const CARDS = {
  visa: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  threeDSecure: '4000002500003155',
  disputed: '4000000000000259',
};

/** A checkout request body paying with a sandbox card (for the listing, the drop or the token). */
export function cardCheckout(
  target: { listingId?: string; dropId?: string; tokenId?: string },
  number = CARDS.visa,
) {
  return {
    ...target,
    idempotencyKey: `co-${randomUUID()}`,
    card: { number, expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' },
  };
}

/** Lists a token for sale as its owner. */
export async function listToken(
  api: Client,
  owner: TestUser,
  tokenId: string,
  priceMinor = 1999,
  currency = 'USD',
) {
  const response = await api('POST', '/listings', {
    token: owner.token,
    body: { tokenId, priceMinor, currency },
  });
  if (response.status !== 201) throw new Error(`listing failed: ${JSON.stringify(response.body)}`);
  return response.body as { listingId: string };
}

/** A Stripe-shaped event, signed the way Stripe signs webhooks (the SDK's own test helper). */
/** A dispute of an order's card payment (in USD), as the processor's dispute events carry it. */
export function disputeFor(
  order: { orderId: string; paymentId: string },
  amount: number,
  status = 'needs_response',
) {
  return {
    id: `dp_${order.orderId.slice(0, 8)}`,
    object: 'dispute',
    amount,
    currency: 'usd',
    payment_intent: order.paymentId,
    status,
    metadata: { order_id: order.orderId },
  };
}

export function signedEvent(
  secret: string,
  type: string,
  object: Record<string, unknown>,
  id = `evt_${randomUUID().replaceAll('-', '')}`,
) {
  const payload = JSON.stringify({
    id,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: { object },
  });
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret }) };
}

/** A signed `charge.refunded` for a payment of ours: `refunded` of `amount` (minor units) given back. */
export function chargeRefunded(
  secret: string,
  payment: { paymentId: string; orderId: string; amount: number; refunded?: number; chargeId?: string },
) {
  return signedEvent(secret, 'charge.refunded', {
    id: payment.chargeId ?? `ch_${payment.paymentId}`,
    object: 'charge',
    payment_intent: payment.paymentId,
    amount: payment.amount,
    amount_refunded: payment.refunded ?? payment.amount,
    currency: 'usd',
    metadata: { order_id: payment.orderId },
  });
}

/** Posts a signed event to the webhook endpoint. */
export function postEvent(
  api: Client,
  event: { payload: string; signature: string },
  signature = event.signature,
) {
  return api('POST', '/webhooks/stripe', {
    rawBody: event.payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
  });
}

/** A freshly minted 1-of-1 of `creator`, listed for sale. */
export async function listedEdition(api: Client, creator: TestUser, priceMinor: number) {
  const collection = await createCollection(api, creator);
  const { tokenIds } = await mintEditions(api, creator, collection.id, 1);
  const { listingId } = await listToken(api, creator, tokenIds[0], priceMinor);
  return { listingId, tokenId: tokenIds[0] };
}

/**
 * A fresh collection of `editions` of `creator`, on sale as a drop that has opened (first-come
 * unless `settings` say otherwise, e.g. `{ mode: 'lottery', entriesCloseAt }` or `perBuyerLimit`).
 */
export async function openDrop(
  api: Client,
  creator: TestUser,
  editions: number,
  {
    priceMinor = 1500,
    currency = 'USD',
    ...settings
  }: { priceMinor?: number; currency?: string } & Record<string, unknown> = {},
) {
  const collection = await createCollection(api, creator);
  const { tokenIds } = await mintEditions(api, creator, collection.id, editions);
  const drop = await api('POST', '/drops', {
    token: creator.token,
    body: {
      collectionId: collection.id,
      priceMinor,
      currency,
      startsAt: new Date().toISOString(),
      ...settings,
    },
  });
  if (drop.status !== 201) throw new Error(`drop failed: ${JSON.stringify(drop.body)}`);
  return { dropId: drop.body.dropId as string, tokenIds, drop: drop.body };
}

/** Currencies whose journal lines do not sum to zero (none, when every entry balances). */
export function journalImbalance(databaseUrl: string) {
  return sql(
    databaseUrl,
    `SELECT currency, sum(amount_minor) AS total FROM journal_lines GROUP BY currency HAVING sum(amount_minor) <> 0`,
  );
}

/** How many paid orders a listing has (never more than one). */
export async function paidOrderCount(databaseUrl: string, listingId: string): Promise<number> {
  const [row] = await sql(
    databaseUrl,
    `SELECT count(*)::int AS n FROM orders WHERE listing_id = $1 AND status = 'paid'`,
    [listingId],
  );
  return row.n;
}
