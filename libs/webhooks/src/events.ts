import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** Every event type an endpoint can pick; a lib that reports something new adds its type here. */
export const WEBHOOK_EVENT_TYPES = [
  'order.paid',
  'order.refunded',
  'token.transferred',
  'token.frozen',
  'drop.drawn',
  'payout.paid',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an event says: ids for links, amounts in minor units with their currency. */
export type WebhookEventData = Record<string, string | number | boolean | null>;

/** One fact to report, and the accounts it concerns (their endpoints receive it). */
export interface WebhookEventDraft {
  type: WebhookEventType;
  accountIds: readonly (string | null | undefined)[];
  data: WebhookEventData;
}

/** A new, stable event id: the `webhook-id` of every delivery and replay of the event. */
export function newEventId(): string {
  return `evt_${randomUUID().replaceAll('-', '')}`;
}

/**
 * Records events in the caller's transaction (a transactional outbox): each event, and one delivery
 * per enabled endpoint that picked its type and belongs to an account it concerns (or is
 * platform-wide), commit with the change they report or not at all. One statement for all of them;
 * an event no endpoint wants is not stored. Answers the ids of the events, in order.
 */
export async function emitEvents(
  manager: Pick<EntityManager, 'query'>,
  events: readonly WebhookEventDraft[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const rows = events.map((event) => ({
    id: newEventId(),
    type: event.type,
    account_ids: [...new Set(event.accountIds.filter((id): id is string => typeof id === 'string'))],
    data: event.data,
  }));
  await manager.query(
    `WITH ev AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS e(id text, type text, account_ids uuid[], data jsonb)
     ), targets AS (
       SELECT ev.id AS event_id, ep.id AS endpoint_id
       FROM ev CROSS JOIN LATERAL unnest(ev.account_ids) AS a(account_id)
       JOIN webhook_endpoints ep ON ep.account_id = a.account_id AND ep.enabled AND NOT ep.platform_wide
       WHERE ev.type = ANY(ep.event_types)
       UNION
       SELECT ev.id, ep.id FROM ev
       JOIN webhook_endpoints ep ON ep.platform_wide AND ep.enabled AND ev.type = ANY(ep.event_types)
     ), stored AS (
       INSERT INTO webhook_events (id, type, account_ids, data)
       SELECT id, type, account_ids, data FROM ev WHERE id IN (SELECT event_id FROM targets)
     )
     INSERT INTO webhook_deliveries (endpoint_id, event_id) SELECT endpoint_id, event_id FROM targets`,
    [JSON.stringify(rows)],
  );
  return rows.map((row) => row.id);
}

/** `emitEvents` for one event; answers its id. */
export async function emitEvent(
  manager: Pick<EntityManager, 'query'>,
  event: WebhookEventDraft,
): Promise<string> {
  const [id] = await emitEvents(manager, [event]);
  return id;
}

/** Deletes an account's endpoints and their deliveries (the account is being deleted), in the caller's transaction. */
export async function forgetWebhooks(
  manager: Pick<EntityManager, 'query'>,
  accountId: string,
): Promise<void> {
  await manager.query(`DELETE FROM webhook_endpoints WHERE account_id = $1`, [accountId]);
}
