import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payment events as received: the signed body byte for byte and the signature header, so that an
 * operator can inspect an event and re-deliver it through the same verification and settlement;
 * and why an event that changed nothing was ignored. Events stored before this have neither.
 */
export class KeepRawPaymentEvents1764001200000 implements MigrationInterface {
  name = 'KeepRawPaymentEvents1764001200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE payment_events
        ADD COLUMN raw_body bytea,
        ADD COLUMN signature text,
        ADD COLUMN content_type text,
        ADD COLUMN ignored_reason text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE payment_events
        DROP COLUMN raw_body, DROP COLUMN signature, DROP COLUMN content_type, DROP COLUMN ignored_reason`);
  }
}
