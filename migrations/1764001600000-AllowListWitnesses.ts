import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Witnesses are allow-listed at run time by operators, not by a restart: the list, the quorum and
 * every change to them (who, when, why) live here. LEDGER_WITNESS_KEYS and LEDGER_WITNESS_QUORUM
 * only seed them. Each witness row also keeps what pushing checkpoints to it last gave (the size
 * it last co-signed, its last refusal and why), for the operator view and readiness.
 */
export class AllowListWitnesses1764001600000 implements MigrationInterface {
  name = 'AllowListWitnesses1764001600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE ledger_witnesses (
        id serial PRIMARY KEY,
        name text NOT NULL,
        verifier_key text NOT NULL,
        url text,
        active boolean NOT NULL DEFAULT true,
        allowed_by text NOT NULL,
        allowed_at timestamptz NOT NULL DEFAULT now(),
        allowed_reason text NOT NULL,
        retired_at timestamptz,
        known_size bigint,
        last_success_at timestamptz,
        last_success_size bigint,
        last_refusal_at timestamptz,
        last_refusal_status smallint,
        last_refusal_reason text,
        last_refusal_size bigint,
        last_error_at timestamptz,
        last_error text,
        CHECK (active = (retired_at IS NULL))
      )`);
    // Signatures are told apart by key name and key ID: one active key per name.
    await db.query(
      `CREATE UNIQUE INDEX ledger_witnesses_active_name ON ledger_witnesses (name) WHERE active`,
    );
    await db.query(`CREATE INDEX ledger_witnesses_key ON ledger_witnesses (verifier_key)`);
    await db.query(`
      CREATE TABLE ledger_witness_policy (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        quorum integer NOT NULL CHECK (quorum >= 0)
      )`);
    await db.query(`
      CREATE TABLE ledger_witness_changes (
        id bigserial PRIMARY KEY,
        action text NOT NULL CHECK (action IN ('allow', 'retire', 'quorum')),
        witness_name text,
        detail jsonb NOT NULL DEFAULT '{}',
        actor text NOT NULL,
        reason text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE ledger_witness_changes, ledger_witness_policy, ledger_witnesses`);
  }
}
