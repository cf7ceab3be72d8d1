import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finer planner statistics for the catalogue's search columns. At the default target (100) a jsonb
 * containment such as `rarity = legendary` (1% of tokens) is estimated at 0.01%, so the planner
 * sorts every match instead of walking the seq index and stopping after one page. Attributes get
 * 500 (each estimate tests the containment against every sampled value, so planning time grows
 * with it); lexemes 1000, whose lookups are binary searches.
 */
export class TuneCatalogueStatistics1764000300000 implements MigrationInterface {
  name = 'TuneCatalogueStatistics1764000300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE tokens ALTER COLUMN attributes SET STATISTICS 500`);
    await db.query(`ALTER TABLE tokens ALTER COLUMN search SET STATISTICS 1000`);
    await db.query(`ALTER TABLE collections ALTER COLUMN search SET STATISTICS 1000`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE collections ALTER COLUMN search SET STATISTICS -1`);
    await db.query(`ALTER TABLE tokens ALTER COLUMN search SET STATISTICS -1`);
    await db.query(`ALTER TABLE tokens ALTER COLUMN attributes SET STATISTICS -1`);
  }
}
