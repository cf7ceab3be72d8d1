import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read fences (written by the identity lib only): per account, the primary's WAL position just after
 * that account's latest write request. Reads for the account may go to a replica only once it has
 * replayed past it, so a signed-in user always sees their own writes, whichever API process or device
 * serves the next request. Kept in PostgreSQL because the credential lookup on every signed-in request
 * already reads the primary: the fence comes with it at no extra round trip. One row per account,
 * overwritten; a fence the replica has passed is inert, so rows need no expiry.
 */
export class AddReadFences1764003300000 implements MigrationInterface {
  name = 'AddReadFences1764003300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE read_fences (
        account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        lsn pg_lsn NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE read_fences`);
  }
}
