import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Platform policies operators set at run time, not by restarting with new settings: the platform
 * fee, the hold period new collections get unless their creator sets one, and whether every buyer
 * and gift must be real-name verified. Each change is a new version (the newest applies), so what
 * applied when stays readable; the operator trail holds who and why (subject kind `platform`).
 * With no version yet, the platform's start-up settings apply.
 */
export class SetPlatformPoliciesAtRunTime1764002500000 implements MigrationInterface {
  name = 'SetPlatformPoliciesAtRunTime1764002500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE platform_policies (
        version serial PRIMARY KEY,
        platform_fee_bps integer NOT NULL CHECK (platform_fee_bps BETWEEN 0 AND 5000),
        default_hold_days integer NOT NULL CHECK (default_hold_days BETWEEN 0 AND 3650),
        real_name_required boolean NOT NULL,
        set_by uuid NOT NULL REFERENCES accounts(id),
        set_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`ALTER TABLE operator_actions DROP CONSTRAINT operator_actions_subject_kind_check`);
    await db.query(`
      ALTER TABLE operator_actions ADD CONSTRAINT operator_actions_subject_kind_check
        CHECK (subject_kind IN ('token', 'account', 'order', 'platform'))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE operator_actions DROP CONSTRAINT operator_actions_subject_kind_check`);
    await db.query(`
      ALTER TABLE operator_actions ADD CONSTRAINT operator_actions_subject_kind_check
        CHECK (subject_kind IN ('token', 'account', 'order'))`);
    await db.query(`DROP TABLE platform_policies`);
  }
}
