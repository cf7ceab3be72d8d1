import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account deletion (libs/data-rights, accounts written by libs/identity): a deleted account stays
 * as a tombstone row, because orders, gifts, listings, the money journal and the operator trail
 * refer to its id (and the ledger names it, which can never change). The tombstone keeps no email
 * and no password hash, so nobody can sign in to it; `deleted_at` says when it was deleted.
 */
export class AccountDeletion1764002300000 implements MigrationInterface {
  name = 'AccountDeletion1764002300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE accounts
        ADD COLUMN deleted_at timestamptz,
        ALTER COLUMN email DROP NOT NULL,
        ALTER COLUMN password_hash DROP NOT NULL,
        ADD CONSTRAINT accounts_tombstone_check
          CHECK ((deleted_at IS NULL) = (email IS NOT NULL) AND (deleted_at IS NULL) = (password_hash IS NOT NULL))`);
  }

  async down(db: QueryRunner): Promise<void> {
    // Tombstones cannot be brought back to life: their email and password are gone for good.
    const [row] = (await db.query(
      `SELECT count(*)::int AS n FROM accounts WHERE deleted_at IS NOT NULL`,
    )) as {
      n: number;
    }[];
    if (row.n > 0) throw new Error(`${row.n} deleted accounts have no email or password: cannot revert`);
    await db.query(`
      ALTER TABLE accounts
        DROP CONSTRAINT accounts_tombstone_check,
        ALTER COLUMN password_hash SET NOT NULL,
        ALTER COLUMN email SET NOT NULL,
        DROP COLUMN deleted_at`);
  }
}
