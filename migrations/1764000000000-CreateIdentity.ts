import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdentity1764000000000 implements MigrationInterface {
  name = 'CreateIdentity1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CONSTRAINT accounts_email_key UNIQUE,
        handle text NOT NULL CONSTRAINT accounts_handle_key UNIQUE,
        password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
        roles text[] NOT NULL DEFAULT '{collector}',
        creator_status text NOT NULL DEFAULT 'none' CHECK (creator_status IN ('none', 'pending', 'approved')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL CONSTRAINT sessions_token_hash_key UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`);
    await db.query(`CREATE INDEX sessions_account_idx ON sessions (account_id)`);
    await db.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text NOT NULL,
        secret_hash bytea NOT NULL CONSTRAINT api_keys_secret_hash_key UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await db.query(`CREATE INDEX api_keys_account_idx ON api_keys (account_id)`);
    await db.query(`
      CREATE TABLE real_name_verifications (
        account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('verified', 'rejected')),
        provider text NOT NULL,
        id_hash bytea NOT NULL,
        salt bytea NOT NULL,
        verified_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE UNLOGGED TABLE rate_limit_hits (
        key text NOT NULL,
        window_start timestamptz NOT NULL,
        hits integer NOT NULL,
        PRIMARY KEY (key, window_start)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE rate_limit_hits, real_name_verifications, api_keys, sessions, accounts`);
  }
}
