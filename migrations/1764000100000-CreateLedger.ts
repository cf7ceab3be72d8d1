import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateLedger1764000100000 implements MigrationInterface {
  name = 'CreateLedger1764000100000';

  async up(db: QueryRunner): Promise<void> {
    // Written inside the ownership change's own transaction; a plain sequence, no shared row lock.
    await db.query(`
      CREATE TABLE ledger_queue (
        id bigserial PRIMARY KEY,
        token_id text NOT NULL,
        entry bytea NOT NULL,
        queued_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The log itself, in index order; leaf_hash = SHA-256(0x00 || entry).
    await db.query(`
      CREATE TABLE ledger_entries (
        idx bigint PRIMARY KEY,
        token_id text NOT NULL,
        leaf_hash bytea NOT NULL,
        entry bytea NOT NULL,
        integrated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX ledger_entries_token_idx ON ledger_entries (token_id, idx)`);
    await db.query(`CREATE INDEX ledger_entries_leaf_hash_idx ON ledger_entries (leaf_hash)`);
    // Every perfect subtree hash (level 0 = leaves), so proofs never rehash the log.
    await db.query(`
      CREATE TABLE ledger_nodes (
        level smallint NOT NULL,
        idx bigint NOT NULL,
        hash bytea NOT NULL,
        PRIMARY KEY (level, idx)
      )`);
    // One row; only the sequencer locks it, never a user transaction.
    await db.query(`
      CREATE TABLE ledger_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        size bigint NOT NULL,
        root bytea NOT NULL
      )`);
    await db.query(`INSERT INTO ledger_state (id, size, root) VALUES (1, 0, sha256(''::bytea))`);
    await db.query(`
      CREATE TABLE ledger_checkpoints (
        size bigint PRIMARY KEY,
        root bytea NOT NULL,
        note text NOT NULL,
        witness_count integer NOT NULL DEFAULT 0,
        final boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX ledger_checkpoints_final_idx ON ledger_checkpoints (size) WHERE final`);
    await db.query(`
      CREATE TABLE ledger_cosignatures (
        size bigint NOT NULL REFERENCES ledger_checkpoints(size),
        key_name text NOT NULL,
        signature_line text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (size, key_name)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `DROP TABLE ledger_cosignatures, ledger_checkpoints, ledger_state, ledger_nodes, ledger_entries, ledger_queue`,
    );
  }
}
