import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holdings pages filtered by collection or to frozen tokens read exactly their rows: without these,
 * an owner of 10,000 tokens with a few frozen had all 10,000 walked to find them.
 */
export class IndexHoldingsFilters1764002700000 implements MigrationInterface {
  name = 'IndexHoldingsFilters1764002700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX tokens_owner_collection_idx ON tokens (owner_id, collection_id, seq)`);
    await db.query(`CREATE INDEX tokens_owner_frozen_idx ON tokens (owner_id, seq) WHERE status = 'frozen'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX tokens_owner_frozen_idx`);
    await db.query(`DROP INDEX tokens_owner_collection_idx`);
  }
}
