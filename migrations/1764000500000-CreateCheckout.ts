import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCheckout1764000500000 implements MigrationInterface {
  name = 'CreateCheckout1764000500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE drops (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        collection_id uuid NOT NULL REFERENCES collections(id),
        creator_id uuid NOT NULL REFERENCES accounts(id),
        price_minor bigint NOT NULL CHECK (price_minor > 0),
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        starts_at timestamptz NOT NULL,
        per_buyer_limit integer CHECK (per_buyer_limit > 0),
        mode text NOT NULL DEFAULT 'first-come' CHECK (mode IN ('first-come', 'lottery')),
        entries_close_at timestamptz,
        seed_hash bytea,
        seed bytea,
        drawn_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (mode = 'first-come' OR (entries_close_at IS NOT NULL AND seed_hash IS NOT NULL))
      )`);
    await db.query(`
      CREATE TABLE drop_entries (
        drop_id uuid NOT NULL REFERENCES drops(id),
        buyer_id uuid NOT NULL REFERENCES accounts(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        won boolean,
        PRIMARY KEY (drop_id, buyer_id)
      )`);
    // One row per edition offered. reserved_* hold a checkout's claim; a row lock decides who gets it.
    await db.query(`
      CREATE TABLE listings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_id text NOT NULL REFERENCES tokens(id),
        seller_id uuid NOT NULL REFERENCES accounts(id),
        kind text NOT NULL CHECK (kind IN ('primary', 'resale')),
        drop_id uuid REFERENCES drops(id),
        price_minor bigint NOT NULL CHECK (price_minor > 0),
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'sold', 'withdrawn')),
        reserved_order uuid,
        reserved_until timestamptz,
        reserved_for uuid REFERENCES accounts(id),
        allocated_to uuid REFERENCES accounts(id),
        allocated_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE UNIQUE INDEX listings_one_active_per_token ON listings (token_id) WHERE status = 'active'`,
    );
    await db.query(
      `CREATE INDEX listings_drop_available_idx ON listings (drop_id, reserved_until) WHERE status = 'active'`,
    );
    await db.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        buyer_id uuid NOT NULL REFERENCES accounts(id),
        listing_id uuid NOT NULL REFERENCES listings(id),
        token_id text NOT NULL REFERENCES tokens(id),
        drop_id uuid REFERENCES drops(id),
        seller_id uuid NOT NULL REFERENCES accounts(id),
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency text NOT NULL,
        status text NOT NULL CHECK (status IN ('reserved', 'requires_action', 'paid', 'failed', 'expired',
          'refund_pending', 'refunded', 'disputed')),
        idempotency_key text NOT NULL,
        reserved_until timestamptz NOT NULL,
        payment_id text UNIQUE,
        decline_code text,
        card_brand text,
        card_last4 text,
        created_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        CONSTRAINT orders_buyer_idempotency_key UNIQUE (buyer_id, idempotency_key)
      )`);
    // Never sold twice: at most one paid order per listing, whatever the code does.
    await db.query(
      `CREATE UNIQUE INDEX orders_one_paid_per_listing ON orders (listing_id) WHERE status IN ('paid', 'disputed')`,
    );
    await db.query(`CREATE INDEX orders_buyer_drop_idx ON orders (buyer_id, drop_id)`);
    await db.query(
      `CREATE INDEX orders_expiring_idx ON orders (reserved_until) WHERE status IN ('reserved', 'requires_action')`,
    );
    // Provider events, stored before they are acted on (the outbox settlement recovers from).
    await db.query(`
      CREATE TABLE payment_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        payment_id text,
        order_id uuid,
        payload jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz,
        outcome text
      )`);
    await db.query(
      `CREATE INDEX payment_events_unprocessed_idx ON payment_events (received_at) WHERE processed_at IS NULL`,
    );
    // Refunds we owe (e.g. a late payment for an edition sold to someone else), sent after commit.
    await db.query(`
      CREATE TABLE refund_requests (
        order_id uuid PRIMARY KEY REFERENCES orders(id),
        payment_id text NOT NULL,
        amount_minor bigint NOT NULL,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Double-entry money journal in integer minor units; every entry must balance per currency.
    await db.query(`
      CREATE TABLE journal_entries (
        id bigserial PRIMARY KEY,
        order_id uuid REFERENCES orders(id),
        kind text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT journal_entries_once UNIQUE (order_id, kind)
      )`);
    await db.query(`
      CREATE TABLE journal_lines (
        entry_id bigint NOT NULL REFERENCES journal_entries(id),
        account text NOT NULL,
        amount_minor bigint NOT NULL,
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$')
      )`);
    await db.query(`CREATE INDEX journal_lines_entry_idx ON journal_lines (entry_id)`);
    await db.query(`CREATE INDEX journal_lines_account_idx ON journal_lines (account)`);
    await db.query(`
      CREATE FUNCTION journal_entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.entry_id
                   GROUP BY currency HAVING sum(amount_minor) <> 0) THEN
          RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id USING ERRCODE = '23514';
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(`
      CREATE CONSTRAINT TRIGGER journal_lines_balance AFTER INSERT OR UPDATE ON journal_lines
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balances()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER journal_lines_balance ON journal_lines`);
    await db.query(`DROP FUNCTION journal_entry_balances()`);
    await db.query(
      `DROP TABLE journal_lines, journal_entries, refund_requests, payment_events, orders, listings, drop_entries, drops`,
    );
  }
}
