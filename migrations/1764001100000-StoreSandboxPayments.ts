import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox card rail's own books, standing in for a remote processor's: its payment intents,
 * refunds and an outbox of the webhooks it owes. Written only by the sandbox (libs/payments), so it
 * behaves the same across API processes and restarts: a 3-D Secure step finishes on any process, a
 * refund can be sent for any payment, an event is delivered even if its process died, and a
 * `…0259` card's dispute opens when due.
 */
export class StoreSandboxPayments1764001100000 implements MigrationInterface {
  name = 'StoreSandboxPayments1764001100000';

  async up(db: QueryRunner): Promise<void> {
    // Card data is brand and last four only, as in the events the sandbox emits.
    await db.query(`
      CREATE TABLE sandbox_payment_intents (
        id text PRIMARY KEY,
        order_id text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        currency text NOT NULL,
        metadata jsonb NOT NULL,
        state text NOT NULL CHECK (state IN ('created', 'requires_action', 'processing', 'succeeded',
          'declined', 'canceled', 'partially_refunded', 'refunded', 'disputed', 'dispute_won', 'dispute_lost')),
        card_brand text NOT NULL,
        card_last4 text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
        behaviour text NOT NULL,
        created_seconds bigint NOT NULL,
        idempotency_key text NOT NULL,
        fingerprint text NOT NULL,
        client_secret text NOT NULL,
        return_url text,
        failure jsonb,
        amount_refunded bigint NOT NULL DEFAULT 0,
        dispute_id text,
        dispute_status text,
        dispute_created_seconds bigint,
        -- When the card's own dispute is to open (the …0259 test card); NULL once opened or called off.
        dispute_due_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (amount_refunded BETWEEN 0 AND amount)
      )`);
    await db.query(
      `CREATE INDEX sandbox_payment_intents_dispute_due ON sandbox_payment_intents (dispute_due_at)
       WHERE dispute_due_at IS NOT NULL`,
    );
    await db.query(`
      CREATE TABLE sandbox_refunds (
        payment_id text NOT NULL REFERENCES sandbox_payment_intents(id),
        idempotency_key text NOT NULL,
        refund_id text NOT NULL UNIQUE,
        amount bigint NOT NULL CHECK (amount > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (payment_id, idempotency_key)
      )`);
    // The outbox: an event is stored with the change it reports, then delivered at least once.
    await db.query(`
      CREATE TABLE sandbox_events (
        id text PRIMARY KEY,
        payment_id text NOT NULL REFERENCES sandbox_payment_intents(id),
        type text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        delivered_at timestamptz,
        last_error text
      )`);
    await db.query(
      `CREATE INDEX sandbox_events_undelivered ON sandbox_events (next_attempt_at) WHERE delivered_at IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE sandbox_events, sandbox_refunds, sandbox_payment_intents`);
  }
}
