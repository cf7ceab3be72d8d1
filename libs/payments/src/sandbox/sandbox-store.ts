// The sandbox's books in PostgreSQL (its own tables; see migration StoreSandboxPayments): intents,
// refunds and the outbox of events. A change and the events reporting it commit together.
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import type { DisputeStatus, RefundOutcome } from '../payment-provider.js';
import type { PaymentState } from '../payment-state.js';
import type { CardBehaviour, CardBrand } from './sandbox-cards.js';
import type { SandboxFailure, SandboxIntent } from './sandbox-intent.js';
import type { OutboxEvent } from './webhook-delivery.js';

interface IntentRow {
  id: string;
  order_id: string;
  amount: string;
  currency: string;
  metadata: Record<string, string>;
  state: PaymentState;
  card_brand: CardBrand;
  card_last4: string;
  behaviour: CardBehaviour;
  created_seconds: string;
  idempotency_key: string;
  fingerprint: string;
  client_secret: string;
  return_url: string | null;
  failure: SandboxFailure | null;
  amount_refunded: string;
  dispute_id: string | null;
  dispute_status: DisputeStatus | null;
  dispute_created_seconds: string | null;
  dispute_scheduled: boolean;
}

const INTENT_COLUMNS = `i.id, i.order_id, i.amount, i.currency, i.metadata, i.state, i.card_brand, i.card_last4,
  i.behaviour, i.created_seconds, i.idempotency_key, i.fingerprint, i.client_secret, i.return_url, i.failure,
  i.amount_refunded, i.dispute_id, i.dispute_status, i.dispute_created_seconds,
  i.dispute_due_at IS NOT NULL AS dispute_scheduled`;

function intentOf(row: IntentRow): SandboxIntent {
  return {
    id: row.id,
    orderId: row.order_id,
    amount: Number(row.amount),
    currency: row.currency,
    metadata: row.metadata,
    state: row.state,
    card: { brand: row.card_brand, last4: row.card_last4 },
    behaviour: row.behaviour,
    created: Number(row.created_seconds),
    idempotencyKey: row.idempotency_key,
    fingerprint: row.fingerprint,
    clientSecret: row.client_secret,
    ...(row.return_url !== null ? { returnUrl: row.return_url } : {}),
    ...(row.failure !== null ? { failure: row.failure } : {}),
    amountRefunded: Number(row.amount_refunded),
    ...(row.dispute_id !== null
      ? {
          dispute: {
            id: row.dispute_id,
            status: row.dispute_status!,
            created: Number(row.dispute_created_seconds),
          },
        }
      : {}),
    disputeScheduled: row.dispute_scheduled,
  };
}

/** A new intent to store, with the event (if any) its creation emits. */
export interface NewIntent {
  intent: SandboxIntent;
  event?: OutboxEvent;
}

/** What storing a new intent found: it was created now, or its id existed (`existing`, if visible). */
export type StoredIntent = { created: true } | { created: false; existing?: SandboxIntent };

/**
 * Stores new intents and their events in one autocommit statement (one round trip for a batch of
 * concurrent payments). An id that exists already is left alone and its stored intent returned:
 * the same idempotency key is the same payment. The ids in `items` must be distinct.
 */
export async function insertIntents(
  manager: EntityManager,
  items: readonly NewIntent[],
  options: { claimMs: number; disputeDelayMs: number | null },
): Promise<StoredIntent[]> {
  const rows = await preparedQuery<IntentRow & { input_id: string; created: boolean }>(
    manager,
    'sandbox:insert-intents',
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, order_id text, amount bigint, currency text,
         metadata jsonb, state text, card_brand text, card_last4 text, behaviour text, created_seconds bigint,
         idempotency_key text, fingerprint text, client_secret text, return_url text, failure jsonb,
         dispute_scheduled boolean, event_id text, event_type text, event_body text)),
     inserted AS (
       INSERT INTO sandbox_payment_intents (id, order_id, amount, currency, metadata, state, card_brand,
         card_last4, behaviour, created_seconds, idempotency_key, fingerprint, client_secret, return_url,
         failure, dispute_due_at)
       SELECT id, order_id, amount, currency, metadata, state, card_brand, card_last4, behaviour,
         created_seconds, idempotency_key, fingerprint, client_secret, return_url, failure,
         CASE WHEN dispute_scheduled THEN now() + $3::float8 * interval '1 millisecond' END
       FROM input
       ON CONFLICT (id) DO NOTHING
       RETURNING id),
     outbox AS (
       INSERT INTO sandbox_events (id, payment_id, type, body, next_attempt_at)
       SELECT x.event_id, x.id, x.event_type, x.event_body, now() + $2::float8 * interval '1 millisecond'
       FROM input x JOIN inserted n ON n.id = x.id WHERE x.event_id IS NOT NULL
       ON CONFLICT (id) DO NOTHING)
     SELECT x.id AS input_id, n.id IS NOT NULL AS created, ${INTENT_COLUMNS}
     FROM input x LEFT JOIN inserted n ON n.id = x.id
       LEFT JOIN sandbox_payment_intents i ON i.id = x.id AND n.id IS NULL`,
    [
      JSON.stringify(items.map(({ intent, event }) => intentRecord(intent, event))),
      options.claimMs,
      options.disputeDelayMs ?? 0,
    ],
  );
  const byId = new Map(rows.map((row) => [row.input_id, row]));
  return items.map(({ intent }) => {
    const row = byId.get(intent.id)!;
    if (row.created) return { created: true };
    // Inserted by a transaction that committed after this statement began: not visible here.
    return row.id === null ? { created: false } : { created: false, existing: intentOf(row) };
  });
}

function intentRecord(intent: SandboxIntent, event: OutboxEvent | undefined) {
  return {
    id: intent.id,
    order_id: intent.orderId,
    amount: intent.amount,
    currency: intent.currency,
    metadata: intent.metadata,
    state: intent.state,
    card_brand: intent.card.brand,
    card_last4: intent.card.last4,
    behaviour: intent.behaviour,
    created_seconds: intent.created,
    idempotency_key: intent.idempotencyKey,
    fingerprint: intent.fingerprint,
    client_secret: intent.clientSecret,
    return_url: intent.returnUrl ?? null,
    failure: intent.failure ?? null,
    dispute_scheduled: intent.disputeScheduled,
    event_id: event?.id ?? null,
    event_type: event?.type ?? null,
    event_body: event?.body ?? null,
  };
}

/** The stored intent, or undefined for an unknown id. */
export async function findIntent(manager: EntityManager, id: string): Promise<SandboxIntent | undefined> {
  const [row] = await preparedQuery<IntentRow>(
    manager,
    'sandbox:find-intent',
    `SELECT ${INTENT_COLUMNS} FROM sandbox_payment_intents i WHERE i.id = $1`,
    [id],
  );
  return row && intentOf(row);
}

/** `findIntent` for several ids in one round trip, answered in the order asked. */
export async function findIntents(
  manager: EntityManager,
  ids: readonly string[],
): Promise<(SandboxIntent | undefined)[]> {
  const rows = await preparedQuery<IntentRow>(
    manager,
    'sandbox:find-intents',
    `SELECT ${INTENT_COLUMNS} FROM sandbox_payment_intents i WHERE i.id = ANY($1::text[])`,
    [ids],
  );
  const byId = new Map(rows.map((row) => [row.id, intentOf(row)]));
  return ids.map((id) => byId.get(id));
}

/**
 * Locks an intent for a change (in the caller's transaction) and reads it, with the refund already
 * made under `refundKey` if one is given.
 */
export async function lockIntent(
  manager: EntityManager,
  id: string,
  refundKey: string | null = null,
): Promise<{ intent: SandboxIntent; previousRefund?: RefundOutcome } | undefined> {
  const [row] = await preparedQuery<IntentRow & { refund_id: string | null; refund_amount: string | null }>(
    manager,
    'sandbox:lock-intent',
    `SELECT ${INTENT_COLUMNS}, r.refund_id, r.amount AS refund_amount
     FROM sandbox_payment_intents i
       LEFT JOIN sandbox_refunds r ON r.payment_id = i.id AND r.idempotency_key = $2
     WHERE i.id = $1 FOR UPDATE OF i`,
    [id, refundKey],
  );
  if (!row) return undefined;
  const previousRefund: RefundOutcome | undefined =
    row.refund_id === null
      ? undefined
      : { status: 'succeeded', refundId: row.refund_id, paymentId: id, amount: Number(row.refund_amount) };
  return { intent: intentOf(row), ...(previousRefund ? { previousRefund } : {}) };
}

/** A change to a locked intent: its new fields, a refund made, and the events reporting it. */
export interface IntentChange {
  intent: SandboxIntent;
  refund?: { idempotencyKey: string; refundId: string; amount: number };
  events: readonly OutboxEvent[];
}

/**
 * Writes a change made to a locked intent, in the caller's transaction. A dispute newly scheduled
 * is due `disputeDelayMs` from now; one no longer scheduled is called off.
 */
export async function saveChange(
  manager: EntityManager,
  change: IntentChange,
  options: { claimMs: number; disputeDelayMs: number | null },
): Promise<void> {
  const { intent, refund, events } = change;
  await preparedQuery(
    manager,
    'sandbox:save-intent',
    `UPDATE sandbox_payment_intents SET state = $2, failure = $3, amount_refunded = $4, dispute_id = $5,
       dispute_status = $6, dispute_created_seconds = $7,
       dispute_due_at = CASE WHEN NOT $8 THEN NULL
                             ELSE coalesce(dispute_due_at, now() + $9::float8 * interval '1 millisecond') END
     WHERE id = $1`,
    [
      intent.id,
      intent.state,
      intent.failure ? JSON.stringify(intent.failure) : null,
      intent.amountRefunded,
      intent.dispute?.id ?? null,
      intent.dispute?.status ?? null,
      intent.dispute?.created ?? null,
      intent.disputeScheduled,
      options.disputeDelayMs ?? 0,
    ],
  );
  if (refund) {
    await preparedQuery(
      manager,
      'sandbox:insert-refund',
      `INSERT INTO sandbox_refunds (payment_id, idempotency_key, refund_id, amount) VALUES ($1, $2, $3, $4)`,
      [intent.id, refund.idempotencyKey, refund.refundId, refund.amount],
    );
  }
  if (events.length > 0) {
    await preparedQuery(
      manager,
      'sandbox:insert-events',
      `INSERT INTO sandbox_events (id, payment_id, type, body, next_attempt_at)
       SELECT e.id, e.payment_id, e.type, e.body, now() + $2::float8 * interval '1 millisecond'
       FROM jsonb_to_recordset($1::jsonb) AS e(id text, payment_id text, type text, body text)
       ON CONFLICT (id) DO NOTHING`,
      [
        JSON.stringify(
          events.map((e) => ({ id: e.id, payment_id: e.paymentId, type: e.type, body: e.body })),
        ),
        options.claimMs,
      ],
    );
  }
}

/** Payments whose card's dispute is due now (at most `limit`). */
export async function dueDisputes(manager: EntityManager, limit: number): Promise<string[]> {
  const rows = await preparedQuery<{ id: string }>(
    manager,
    'sandbox:due-disputes',
    `SELECT id FROM sandbox_payment_intents WHERE dispute_due_at <= now() ORDER BY dispute_due_at LIMIT $1`,
    [limit],
  );
  return rows.map((row) => row.id);
}

/** States of an intent whose payment was captured (whatever happened to it since). */
export const CAPTURED_STATES: readonly PaymentState[] = [
  'succeeded',
  'partially_refunded',
  'refunded',
  'disputed',
  'dispute_won',
  'dispute_lost',
];

/** A capture or refund in the sandbox's books, keyed for keyset pages by (`kind`, `reference`). */
export interface MovementRow {
  kind: 'capture' | 'refund';
  payment_id: string;
  amount: string;
  currency: string;
  reference: string;
}

/**
 * A page of the sandbox's captures (one per captured intent, `reference` its id) then refunds
 * (`reference` the refund id), in that order, after (`kind`, `reference`).
 */
export function movementsAfter(
  manager: EntityManager,
  after: { kind: 'capture' | 'refund'; reference: string } | undefined,
  limit: number,
): Promise<MovementRow[]> {
  return manager.query(
    `SELECT * FROM (
       SELECT 'capture' AS kind, id AS payment_id, amount, currency, id AS reference
       FROM sandbox_payment_intents WHERE state = ANY($1::text[])
       UNION ALL
       SELECT 'refund', r.payment_id, r.amount, i.currency, r.refund_id
       FROM sandbox_refunds r JOIN sandbox_payment_intents i ON i.id = r.payment_id) m
     WHERE $2::text IS NULL OR (m.kind, m.reference COLLATE "C") > ($2, $3::text COLLATE "C")
     ORDER BY m.kind, m.reference COLLATE "C" LIMIT $4`,
    [CAPTURED_STATES, after?.kind ?? null, after?.reference ?? null, limit],
  );
}
