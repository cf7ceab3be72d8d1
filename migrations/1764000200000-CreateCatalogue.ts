import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalogue1764000200000 implements MigrationInterface {
  name = 'CreateCatalogue1764000200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE media (
        cid text PRIMARY KEY,
        mime text NOT NULL,
        size bigint NOT NULL,
        uploaded_by uuid NOT NULL REFERENCES accounts(id),
        integrity text NOT NULL DEFAULT 'ok' CHECK (integrity IN ('ok', 'missing', 'corrupt')),
        checked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE collections (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigserial NOT NULL UNIQUE,
        creator_id uuid NOT NULL REFERENCES accounts(id),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        royalty_bps integer NOT NULL CHECK (royalty_bps BETWEEN 0 AND 2500),
        supply_cap integer CHECK (supply_cap > 0),
        minted integer NOT NULL DEFAULT 0,
        resale_allowed boolean NOT NULL DEFAULT true,
        hold_days integer NOT NULL DEFAULT 0 CHECK (hold_days >= 0),
        real_name_required boolean NOT NULL DEFAULT false,
        per_buyer_limit integer CHECK (per_buyer_limit > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        search tsvector GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || description)) STORED,
        CHECK (supply_cap IS NULL OR minted <= supply_cap)
      )`);
    await db.query(`CREATE INDEX collections_creator_idx ON collections (creator_id, seq)`);
    await db.query(`CREATE INDEX collections_search_idx ON collections USING gin (search)`);
    await db.query(`
      CREATE TABLE mint_requests (
        creator_id uuid NOT NULL REFERENCES accounts(id),
        idempotency_key text NOT NULL,
        request_hash bytea NOT NULL,
        token_ids text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (creator_id, idempotency_key)
      )`);
    // One row per edition. seq gives a stable keyset order; price columns mirror the active listing.
    await db.query(`
      CREATE TABLE tokens (
        id text PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        collection_id uuid NOT NULL REFERENCES collections(id),
        creator_id uuid NOT NULL REFERENCES accounts(id),
        edition_number integer NOT NULL CHECK (edition_number >= 1),
        edition_total integer NOT NULL CHECK (edition_total >= edition_number),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        metadata_cid text NOT NULL,
        image_cid text NOT NULL,
        attributes jsonb NOT NULL DEFAULT '[]',
        owner_id uuid REFERENCES accounts(id),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'burned')),
        ledger_seq integer NOT NULL DEFAULT 0,
        last_event_at timestamptz NOT NULL DEFAULT now(),
        acquired_at timestamptz NOT NULL DEFAULT now(),
        price_minor bigint CHECK (price_minor >= 0),
        currency text CHECK (currency ~ '^[A-Z]{3}$'),
        minted_at timestamptz NOT NULL DEFAULT now(),
        search tsvector GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || description)) STORED,
        CHECK ((price_minor IS NULL) = (currency IS NULL))
      )`);
    await db.query(`CREATE INDEX tokens_collection_idx ON tokens (collection_id, seq)`);
    await db.query(`CREATE INDEX tokens_creator_idx ON tokens (creator_id, seq)`);
    await db.query(`CREATE INDEX tokens_owner_idx ON tokens (owner_id, seq)`);
    await db.query(
      `CREATE INDEX tokens_price_idx ON tokens (currency, price_minor, seq) WHERE price_minor IS NOT NULL`,
    );
    await db.query(`CREATE INDEX tokens_search_idx ON tokens USING gin (search)`);
    await db.query(`CREATE INDEX tokens_attributes_idx ON tokens USING gin (attributes jsonb_path_ops)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE tokens, mint_requests, collections, media`);
  }
}
