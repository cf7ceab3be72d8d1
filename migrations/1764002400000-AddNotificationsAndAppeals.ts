import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * In-app notifications (written by the notifications lib only): what happened to an account's
 * tokens, sales and lottery entries, read newest first, the unread ones through a partial index.
 *
 * Freeze appeals (written by custody only): an owner may ask for a frozen token to be unfrozen, at
 * most one open appeal per token; an operator's decision is recorded with its reason and the ref of
 * its entry in the operator trail.
 */
export class AddNotificationsAndAppeals1764002400000 implements MigrationInterface {
  name = 'AddNotificationsAndAppeals1764002400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE notifications (
        id bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id),
        kind text NOT NULL,
        subject_kind text NOT NULL,
        subject_id text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz
      )`);
    await db.query(`CREATE INDEX notifications_account_idx ON notifications (account_id, id)`);
    await db.query(
      `CREATE INDEX notifications_unread_idx ON notifications (account_id, id) WHERE read_at IS NULL`,
    );
    await db.query(`
      CREATE TABLE freeze_appeals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_id text NOT NULL REFERENCES tokens(id),
        owner_id uuid NOT NULL REFERENCES accounts(id),
        message text NOT NULL CHECK (length(btrim(message)) BETWEEN 1 AND 2000),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'lifted')),
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        decided_by uuid REFERENCES accounts(id),
        decision_reason text,
        decision_ref text,
        CHECK ((status = 'open') = (decided_at IS NULL))
      )`);
    await db.query(
      `CREATE UNIQUE INDEX freeze_appeals_one_open_idx ON freeze_appeals (token_id) WHERE status = 'open'`,
    );
    await db.query(`CREATE INDEX freeze_appeals_owner_idx ON freeze_appeals (owner_id, created_at)`);
    await db.query(`CREATE INDEX freeze_appeals_status_idx ON freeze_appeals (status, created_at, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE freeze_appeals`);
    await db.query(`DROP TABLE notifications`);
  }
}
