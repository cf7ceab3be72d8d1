import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Custody (libs/custody): gifts between accounts; the operator action trail (libs/operator-trail).
 *
 * - `collections.gifts_allowed`: the collection's gift policy beside `resale_allowed` (transfers off:
 *   both false; gift-only: gifts alone). Existing collections keep allowing gifts.
 * - `gifts`: one row per gift, keyed by the sender's idempotency key, so a retried gift moves the
 *   token once. Its id is the ledger `transfer` entry's ref.
 * - `drops_starts_idx`: drops listed by start time (upcoming, live, ended).
 * - `operator_actions`: who did what to which account or token, when and why. Append-only: a
 *   trigger refuses UPDATE, DELETE and TRUNCATE, so the trail auditors read cannot be rewritten
 *   through the application's connection.
 */
export class AddCustody1764001800000 implements MigrationInterface {
  name = 'AddCustody1764001800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE collections ADD COLUMN gifts_allowed boolean NOT NULL DEFAULT true`);
    await db.query(`
      CREATE TABLE gifts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_id text NOT NULL REFERENCES tokens(id),
        from_id uuid NOT NULL REFERENCES accounts(id),
        to_id uuid NOT NULL REFERENCES accounts(id),
        idempotency_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT gifts_idempotency_key UNIQUE (from_id, idempotency_key)
      )`);
    await db.query(`CREATE INDEX gifts_token_idx ON gifts (token_id, created_at)`);
    await db.query(`CREATE INDEX drops_starts_idx ON drops (starts_at, id)`);
    await db.query(`
      CREATE TABLE operator_actions (
        id bigserial PRIMARY KEY,
        actor_id uuid NOT NULL REFERENCES accounts(id),
        action text NOT NULL,
        subject_kind text NOT NULL CHECK (subject_kind IN ('token', 'account', 'order')),
        subject_id text NOT NULL,
        reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX operator_actions_subject_idx ON operator_actions (subject_kind, subject_id, id)`,
    );
    await db.query(`
      CREATE FUNCTION operator_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'operator_actions is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER operator_actions_no_update BEFORE UPDATE OR DELETE ON operator_actions
        FOR EACH ROW EXECUTE FUNCTION operator_actions_append_only()`);
    await db.query(`
      CREATE TRIGGER operator_actions_no_truncate BEFORE TRUNCATE ON operator_actions
        FOR EACH STATEMENT EXECUTE FUNCTION operator_actions_append_only()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE operator_actions, gifts`);
    await db.query(`DROP INDEX drops_starts_idx`);
    await db.query(`DROP FUNCTION operator_actions_append_only()`);
    await db.query(`ALTER TABLE collections DROP COLUMN gifts_allowed`);
  }
}
