import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { problems } from '#http';
import {
  type PaymentProviderEvent,
  type ProviderEvent,
  WebhookPayloadError,
  WebhookSignatureError,
} from '#payments';
import { NEEDS_CONFIRMATION } from './payment-confirmation.js';
import type { SettlementOutcome } from './settlement.service.js';

// The webhook inbox's statements: storing received events (as received) and recording outcomes.

export type ProcessOutcome =
  'already-processed' | { result: SettlementOutcome; paymentId: string; othersWaiting: boolean };

export interface StoredEvent {
  id: string;
  payload: PaymentProviderEvent;
}

/** An event as received: the signed body byte for byte and the headers that came with it. */
export interface RawDelivery {
  body: Buffer;
  signature: string;
  contentType?: string;
}

/** A received event to store in the inbox before it is applied. */
export interface ReceivedEvent {
  event: PaymentProviderEvent;
  raw?: RawDelivery;
}

/** What storing a received event found. */
export interface StoredReceipt {
  /** The event was stored already: a repeated delivery. */
  duplicate: boolean;
  /**
   * Stored now, and applying it would bind an order that has no payment id (see
   * payment-confirmation.ts): the provider must back its payment first.
   */
  needsConfirmation: boolean;
}

/**
 * Stores received events (the inbox), all in one autocommit statement: each is durable before it
 * is applied, so that a crash in between leaves it for recovery. Marks repeated deliveries, and says
 * in the same round trip which new events need the provider's confirmation.
 */
export async function storeEvents(
  manager: EntityManager,
  received: readonly ReceivedEvent[],
): Promise<StoredReceipt[]> {
  const stored = await preparedQuery<{ id: string; needs_confirmation: boolean }>(
    manager,
    'checkout:store-events',
    `INSERT INTO payment_events AS e (id, type, payment_id, order_id, payload, raw_body, signature, content_type)
     SELECT r.id, r.type, r.payment_id, r.order_id, r.payload, decode(r.raw_body, 'base64'), r.signature,
       r.content_type
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, type text, payment_id text, order_id uuid, payload jsonb,
       raw_body text, signature text, content_type text)
     ON CONFLICT (id) DO NOTHING RETURNING e.id, ${NEEDS_CONFIRMATION} AS needs_confirmation`,
    [
      JSON.stringify(
        received.map(({ event, raw }) => ({
          id: event.id,
          type: event.type,
          payment_id: event.paymentId,
          order_id: event.orderId && /^[0-9a-f-]{36}$/i.test(event.orderId) ? event.orderId : null,
          payload: event,
          raw_body: raw?.body.toString('base64') ?? null,
          signature: raw?.signature ?? null,
          content_type: raw?.contentType ?? null,
        })),
      ),
    ],
  );
  // The first delivery of an event inserted now is the original; any other is a repeat.
  const inserted = new Map(stored.map((row) => [row.id, row.needs_confirmation]));
  return received.map(({ event }) => {
    const needsConfirmation = inserted.get(event.id);
    inserted.delete(event.id);
    return { duplicate: needsConfirmation === undefined, needsConfirmation: needsConfirmation === true };
  });
}

/**
 * Records each applied event's outcome (a deferred one stays unprocessed), in one statement that
 * also says whether other events of its payment wait (e.g. a refund deferred until the sale
 * existed). The orders are locked by now, so any event that could have been deferred has committed
 * and is visible here.
 */
export async function markProcessed(
  manager: EntityManager,
  events: readonly StoredEvent[],
  results: ReadonlyMap<string, SettlementOutcome>,
  ignored: ReadonlyMap<string, string>,
): Promise<(Exclude<ProcessOutcome, 'already-processed'> & { eventId: string })[]> {
  if (events.length === 0) return [];
  const rows = await preparedQuery<{ event_id: string; event_payment_id: string; others_waiting: boolean }>(
    manager,
    'checkout:mark-events',
    `UPDATE payment_events e SET outcome = CASE WHEN m.ignored_reason IS NULL THEN m.outcome ELSE 'ignored' END,
       ignored_reason = m.ignored_reason,
       processed_at = CASE WHEN m.outcome = 'deferred' THEN NULL ELSE now() END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS m(id, outcome, payment_id, ignored_reason)
     WHERE e.id = m.id
     RETURNING e.id AS event_id, m.payment_id AS event_payment_id,
       EXISTS (SELECT 1 FROM payment_events w
               WHERE w.payment_id = m.payment_id AND w.processed_at IS NULL AND w.id <> m.id) AS others_waiting`,
    [
      events.map((event) => event.id),
      events.map((event) => results.get(event.id)!),
      events.map((event) => event.payload.paymentId),
      events.map((event) => ignored.get(event.id) ?? null),
    ],
  );
  return rows.map(({ event_id: eventId, event_payment_id: paymentId, others_waiting: othersWaiting }) => ({
    eventId,
    result: results.get(eventId)!,
    paymentId,
    othersWaiting,
  }));
}

/** The reason stored for events of types settlement does not read. */
export const UNHANDLED_TYPE = 'unhandled-event-type';

/**
 * Runs a webhook parser; a body that fails verification or is no event is answered as `rejected`
 * says (by default 400 `invalid-webhook`: the sender's error).
 */
export function verified(
  parse: () => ProviderEvent,
  rejected: (message: string) => Error = (message) => problems.badRequest('invalid-webhook', message),
): ProviderEvent {
  try {
    return parse();
  } catch (error) {
    if (error instanceof WebhookSignatureError || error instanceof WebhookPayloadError) {
      throw rejected(error.message);
    }
    throw error;
  }
}
