import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks for integrators (written by the webhooks lib only). Endpoints an account registered, with
 * the event types it picked and the signing secret (the previous one stays valid for a while after a
 * rotation). Events are a transactional outbox: a lib writes the event, and one delivery per
 * subscribed endpoint, in the transaction of the change it reports. Deliveries are claimed by any API
 * process (`FOR UPDATE SKIP LOCKED` on the due ones), each attempt logged with its answer.
 */
export class AddWebhooks1764003100000 implements MigrationInterface {
  name = 'AddWebhooks1764003100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id),
        idempotency_key text NOT NULL,
        url text NOT NULL CHECK (length(url) <= 2048),
        description text CHECK (length(description) <= 500),
        event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
        platform_wide boolean NOT NULL DEFAULT false,
        enabled boolean NOT NULL DEFAULT true,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (account_id, idempotency_key)
      )`);
    await db.query(
      `CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_id) WHERE enabled`,
    );
    await db.query(
      `CREATE INDEX webhook_endpoints_platform_idx ON webhook_endpoints (id) WHERE enabled AND platform_wide`,
    );
    await db.query(`
      CREATE TABLE webhook_events (
        id text PRIMARY KEY CHECK (id ~ '^evt_[0-9a-f]{32}$'),
        type text NOT NULL,
        account_ids uuid[] NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_id text NOT NULL REFERENCES webhook_events(id),
        replay_of uuid REFERENCES webhook_deliveries(id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CHECK ((status = 'pending') = (finished_at IS NULL))
      )`);
    await db.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await db.query(
      `CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at, id)`,
    );
    await db.query(`
      CREATE TABLE webhook_attempts (
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt int NOT NULL CHECK (attempt >= 1),
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        response_status int,
        response_excerpt text,
        error text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE webhook_attempts`);
    await db.query(`DROP TABLE webhook_deliveries`);
    await db.query(`DROP TABLE webhook_events`);
    await db.query(`DROP TABLE webhook_endpoints`);
  }
}
