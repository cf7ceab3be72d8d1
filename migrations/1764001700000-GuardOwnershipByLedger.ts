import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger decides ownership. An ownership change whose token row disagrees with the token's
 * ledger history is refused by the very statement that would write it: `ledger_refuse_mismatch`
 * raises SQLSTATE HL409 with what the row and the ledger say (JSON in DETAIL).
 *
 * Integrity alerts operators must see (such a refusal, a witness refusing a checkpoint, …): one row
 * per kind and subject, counted, with when it was first and last seen. Written outside the refused
 * transaction, so they survive it.
 */
export class GuardOwnershipByLedger1764001700000 implements MigrationInterface {
  name = 'GuardOwnershipByLedger1764001700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE ledger_alerts (
        kind text NOT NULL,
        subject text NOT NULL,
        detail text NOT NULL,
        count integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, subject)
      )`);
    await db.query(`CREATE INDEX ledger_alerts_last_seen_idx ON ledger_alerts (last_seen_at DESC)`);
    await db.query(`
      CREATE FUNCTION ledger_refuse_mismatch(
        token text, row_owner text, row_status text, row_seq integer,
        head_owner text, head_status text, head_seq integer
      ) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger-mismatch: token % disagrees with its ledger history', token
          USING ERRCODE = 'HL409',
            DETAIL = json_build_object(
              'token', token,
              'row', json_build_object('owner_id', row_owner, 'status', row_status, 'ledger_seq', row_seq),
              'head', json_build_object('owner', head_owner, 'status', head_status, 'seq', head_seq)
            )::text;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION ledger_refuse_mismatch`);
    await db.query(`DROP TABLE ledger_alerts`);
  }
}
