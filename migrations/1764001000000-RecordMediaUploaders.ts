import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every account that uploaded a media file, not only the first: the same bytes have the same CID,
 * so `media.uploaded_by` names one uploader, while minting needs to know whether *this* creator
 * uploaded the file. Backfilled from `media.uploaded_by` and from tokens minted before this table
 * existed: their image is already public in their creator's collection, so minting more of it stays
 * that creator's right (every later mint needs a row here, so the same then holds for new tokens).
 */
export class RecordMediaUploaders1764001000000 implements MigrationInterface {
  name = 'RecordMediaUploaders1764001000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE media_uploads (
        cid text NOT NULL REFERENCES media(cid),
        account_id uuid NOT NULL REFERENCES accounts(id),
        uploaded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (cid, account_id)
      )`);
    await db.query(
      `INSERT INTO media_uploads (cid, account_id, uploaded_at) SELECT cid, uploaded_by, created_at FROM media`,
    );
    await db.query(`
      INSERT INTO media_uploads (cid, account_id, uploaded_at)
      SELECT t.image_cid, t.creator_id, min(t.minted_at) FROM tokens t JOIN media m ON m.cid = t.image_cid
      GROUP BY t.image_cid, t.creator_id
      ON CONFLICT DO NOTHING`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE media_uploads`);
  }
}
