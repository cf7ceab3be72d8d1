import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inLockedTransaction, updateReturning } from '#database';
import { keysetPage, microsSql, parseTimeIdCursor, problems, timeIdCursor, timeOfMicrosSql } from '#http';
import type { Principal } from '#identity';
import { endpointUrlRefusal } from './endpoint-url.js';
import type { WebhookEventType } from './events.js';

/** Endpoints one account may have: enough for every integration, few enough to deliver to. */
export const MAX_ENDPOINTS_PER_ACCOUNT = 20;
/** How long the secret before a rotation still signs deliveries (both signatures are sent). */
const PREVIOUS_SECRET_GRACE = '24 hours';

interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  event_types: WebhookEventType[];
  platform_wide: boolean;
  enabled: boolean;
  secret: string;
  previous_secret_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  type: WebhookEventType;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  finished_at: Date | null;
  replay_of: string | null;
  created_us: string;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  response_status: number | null;
  response_excerpt: string | null;
  error: string | null;
}

const ENDPOINT_COLUMNS = `id, url, description, event_types, platform_wide, enabled, secret,
  previous_secret_until, created_at, updated_at`;
const DELIVERY_COLUMNS = `d.id, d.event_id, ev.type, d.status, d.attempts, d.next_attempt_at, d.created_at,
  d.finished_at, d.replay_of, ${microsSql('d.created_at')} AS created_us`;

/** A new signing secret in the Standard Webhooks format: `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * An account's webhook endpoints: registered with the event types they want and a secret shown
 * once, changed, rotated, deleted; their delivery log read and deliveries replayed. Every query is
 * scoped to the caller's account, so another account's endpoint is simply not found.
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
  ) {}

  /**
   * Registers an endpoint, answering it with its secret. Idempotent per key: a retry answers the
   * same endpoint (and secret); the same key with another URL or event types is 409.
   */
  async create(
    principal: Principal,
    body: {
      url: string;
      eventTypes: WebhookEventType[];
      description?: string;
      platformWide?: boolean;
      idempotencyKey: string;
    },
  ) {
    this.assertUrl(body.url);
    const platformWide = body.platformWide ?? false;
    if (platformWide && !principal.roles.includes('operator'))
      throw problems.forbidden('Only operators can register a platform-wide endpoint');
    const eventTypes = [...new Set(body.eventTypes)].sort();
    const accountId = principal.accountId;
    return inLockedTransaction(this.dataSource, `webhook-endpoints:${accountId}`, async (manager) => {
      const [existing]: EndpointRow[] = await manager.query(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 AND idempotency_key = $2`,
        [accountId, body.idempotencyKey],
      );
      if (existing) {
        const same =
          existing.url === body.url &&
          existing.platform_wide === platformWide &&
          existing.event_types.join() === eventTypes.join();
        if (!same)
          throw problems.conflict(
            'idempotency-key-reused',
            'This idempotency key registered an endpoint with another URL or event types. Use a new key for a new endpoint.',
          );
        return { ...this.view(existing), secret: existing.secret };
      }
      const [{ count }]: { count: number }[] = await manager.query(
        `SELECT count(*)::int AS count FROM webhook_endpoints WHERE account_id = $1`,
        [accountId],
      );
      if (count >= MAX_ENDPOINTS_PER_ACCOUNT)
        throw problems.unprocessable(
          'too-many-webhook-endpoints',
          `You have ${count} webhook endpoints, the most an account may have. Delete one you no longer use, or subscribe an existing one to more event types.`,
          { limit: MAX_ENDPOINTS_PER_ACCOUNT },
        );
      const [created]: EndpointRow[] = await manager.query(
        `INSERT INTO webhook_endpoints
           (account_id, idempotency_key, url, description, event_types, platform_wide, secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ENDPOINT_COLUMNS}`,
        [
          accountId,
          body.idempotencyKey,
          body.url,
          body.description ?? null,
          eventTypes,
          platformWide,
          newSecret(),
        ],
      );
      return { ...this.view(created), secret: created.secret };
    });
  }

  async list(accountId: string) {
    const rows: EndpointRow[] = await this.dataSource.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return { items: rows.map((row) => this.view(row)) };
  }

  async get(accountId: string, id: string) {
    return this.view(await this.read(this.dataSource.manager, accountId, id));
  }

  /** Changes the URL, description, event types or whether it is enabled; the rest stays. */
  async update(
    accountId: string,
    id: string,
    body: { url?: string; description?: string | null; eventTypes?: WebhookEventType[]; enabled?: boolean },
  ) {
    if (body.url !== undefined) this.assertUrl(body.url);
    const eventTypes = body.eventTypes ? [...new Set(body.eventTypes)].sort() : null;
    const [row] = await updateReturning<EndpointRow>(
      this.dataSource,
      `UPDATE webhook_endpoints SET
         url = coalesce($3, url),
         description = CASE WHEN $4::boolean THEN $5 ELSE description END,
         event_types = coalesce($6, event_types),
         enabled = coalesce($7, enabled),
         updated_at = now()
       WHERE account_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
      [
        accountId,
        id,
        body.url ?? null,
        body.description !== undefined,
        body.description ?? null,
        eventTypes,
        body.enabled ?? null,
      ],
    );
    if (!row) throw problems.notFound('The webhook endpoint');
    return this.view(row);
  }

  /** Deletes the endpoint with its delivery log; deleting one that is gone already is a no-op. */
  async delete(accountId: string, id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM webhook_endpoints WHERE account_id = $1 AND id = $2`, [
      accountId,
      id,
    ]);
  }

  /**
   * A new secret, answered once. Deliveries carry signatures with both the new and the previous
   * secret for a day, so receivers can switch over without losing a delivery.
   */
  async rotateSecret(accountId: string, id: string) {
    const [row] = await updateReturning<EndpointRow>(
      this.dataSource,
      `UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
         previous_secret_until = now() + interval '${PREVIOUS_SECRET_GRACE}', updated_at = now()
       WHERE account_id = $1 AND id = $2 RETURNING ${ENDPOINT_COLUMNS}`,
      [accountId, id, newSecret()],
    );
    if (!row) throw problems.notFound('The webhook endpoint');
    return { ...this.view(row), secret: row.secret };
  }

  /** The endpoint's deliveries, newest first, each with its attempts; keyset pages over (created_at, id). */
  async deliveries(
    accountId: string,
    id: string,
    query: { status?: DeliveryRow['status']; limit?: number; cursor?: string },
  ) {
    await this.read(this.dataSource.manager, accountId, id);
    const limit = query.limit ?? 20;
    const [afterUs, afterId] = parseTimeIdCursor(query.cursor);
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
       WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2)
         AND ($3::bigint IS NULL OR (d.created_at, d.id) < (${timeOfMicrosSql('$3')}, $4::uuid))
       ORDER BY d.created_at DESC, d.id DESC LIMIT $5`,
      [id, query.status ?? null, afterUs, afterId, limit + 1],
    );
    const attempts = await this.attemptsOf(rows.slice(0, limit).map((row) => row.id));
    return keysetPage(
      rows,
      limit,
      (row) => this.deliveryView(row, attempts.get(row.id) ?? []),
      (last) => timeIdCursor(last.created_us, last.id),
    );
  }

  /** Sends a delivery's event to the endpoint again, as a new delivery with the same event id. */
  async replay(accountId: string, id: string, deliveryId: string) {
    const [replay]: { id: string }[] = await this.dataSource.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, replay_of)
       SELECT d.endpoint_id, d.event_id, d.id FROM webhook_deliveries d
       JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
       WHERE d.id = $3 AND d.endpoint_id = $2 AND ep.account_id = $1
       RETURNING id`,
      [accountId, id, deliveryId],
    );
    if (!replay) throw problems.notFound('The delivery');
    const [row]: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
       WHERE d.id = $1`,
      [replay.id],
    );
    return this.deliveryView(row, []);
  }

  private assertUrl(url: string): void {
    const refusal = endpointUrlRefusal(url, this.config.webhooks.allowLocalUrls);
    if (refusal) throw problems.badRequest('invalid-webhook-url', refusal);
  }

  private async read(manager: EntityManager, accountId: string, id: string): Promise<EndpointRow> {
    const [row]: EndpointRow[] = await manager.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 AND id = $2`,
      [accountId, id],
    );
    if (!row) throw problems.notFound('The webhook endpoint');
    return row;
  }

  private async attemptsOf(deliveryIds: string[]): Promise<Map<string, AttemptRow[]>> {
    const rows: AttemptRow[] =
      deliveryIds.length === 0
        ? []
        : await this.dataSource.query(
            `SELECT delivery_id, attempt, started_at, duration_ms, response_status, response_excerpt, error
             FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, attempt`,
            [deliveryIds],
          );
    const byDelivery = new Map<string, AttemptRow[]>();
    for (const row of rows)
      byDelivery.set(row.delivery_id, [...(byDelivery.get(row.delivery_id) ?? []), row]);
    return byDelivery;
  }

  private view(row: EndpointRow) {
    return {
      id: row.id,
      url: row.url,
      description: row.description,
      eventTypes: row.event_types,
      platformWide: row.platform_wide,
      enabled: row.enabled,
      previousSecretValidUntil:
        row.previous_secret_until && row.previous_secret_until > new Date()
          ? row.previous_secret_until.toISOString()
          : null,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }

  private deliveryView(row: DeliveryRow, attempts: AttemptRow[]) {
    return {
      id: row.id,
      eventId: row.event_id,
      eventType: row.type,
      status: row.status,
      attemptCount: row.attempts,
      nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
      createdAt: row.created_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null,
      replayOf: row.replay_of,
      attempts: attempts.map((attempt) => ({
        attempt: attempt.attempt,
        startedAt: attempt.started_at.toISOString(),
        durationMs: attempt.duration_ms,
        responseStatus: attempt.response_status,
        responseExcerpt: attempt.response_excerpt,
        error: attempt.error,
      })),
    };
  }
}
