import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Real-name verifications keep a keyed, deterministic digest of the ID number (HMAC-SHA256 under
 * ID_HASH_PEPPER) in `id_hmac`, unique among verified rows, so that one ID number verifies one
 * account; the number itself is still never stored.
 *
 * Rows written before this migration hold only a per-row salted hash, which cannot be compared and
 * cannot be recomputed (the number was never kept). They stay as legacy rows: still verified, with
 * `id_hmac` null, so their numbers are not guarded against reuse until the account verifies again,
 * which replaces the salted hash by the digest. New rows keep no salted hash.
 */
export class HashIdNumbersWithHmac1764000800000 implements MigrationInterface {
  name = 'HashIdNumbersWithHmac1764000800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE real_name_verifications
        ADD COLUMN id_hmac bytea,
        ALTER COLUMN id_hash DROP NOT NULL,
        ALTER COLUMN salt DROP NOT NULL,
        ADD CONSTRAINT real_name_verifications_id_kept
          CHECK (id_hmac IS NOT NULL OR (id_hash IS NOT NULL AND salt IS NOT NULL))`);
    await db.query(`
      CREATE UNIQUE INDEX real_name_verifications_id_hmac_key
        ON real_name_verifications (id_hmac) WHERE status = 'verified'`);
  }

  async down(db: QueryRunner): Promise<void> {
    // Rows verified since have no salted hash to fall back on: those accounts verify again.
    await db.query(`DELETE FROM real_name_verifications WHERE id_hash IS NULL OR salt IS NULL`);
    await db.query(`DROP INDEX real_name_verifications_id_hmac_key`);
    await db.query(`
      ALTER TABLE real_name_verifications
        DROP CONSTRAINT real_name_verifications_id_kept,
        DROP COLUMN id_hmac,
        ALTER COLUMN id_hash SET NOT NULL,
        ALTER COLUMN salt SET NOT NULL`);
  }
}
