import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['collector', 'creator', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const CREATOR_STATUSES = ['none', 'pending', 'approved', 'rejected'] as const;
export type CreatorStatus = (typeof CREATOR_STATUSES)[number];

@Entity('accounts')
export class Account {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Null once the account is deleted (a tombstone kept for the records that name its id). */
  @Column('text', { nullable: true }) email!: string | null;
  /** Public handle shown in the catalogue instead of any personal data. */
  @Column('text') handle!: string;
  /** Null once the account is deleted: nobody can sign in to it. */
  @Column('text', { name: 'password_hash', nullable: true }) passwordHash!: string | null;
  @Column('text', { array: true }) roles!: Role[];
  @Column('text', { name: 'creator_status' }) creatorStatus!: CreatorStatus;
  /** When the pending (or last) application was made: the operators' queue is oldest first. */
  @Column('timestamptz', { name: 'creator_applied_at', nullable: true }) creatorAppliedAt!: Date | null;
  /** Why the application was rejected, for the applicant to read; set exactly while rejected. */
  @Column('text', { name: 'creator_rejection_reason', nullable: true }) creatorRejectionReason!:
    string | null;
  /** Set while frozen: the account may sign in and read, not write (the auth guard refuses). */
  @Column('timestamptz', { name: 'frozen_at', nullable: true }) frozenAt!: Date | null;
  @Column('text', { name: 'frozen_reason', nullable: true }) frozenReason!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt!: Date | null;
}

@Entity('sessions')
export class Session {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'account_id' }) accountId!: string;
  /** SHA-256 of the bearer token: a database leak does not leak usable tokens. */
  @Column('bytea', { name: 'token_hash' }) tokenHash!: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}

@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'account_id' }) accountId!: string;
  @Column('text') name!: string;
  @Column('bytea', { name: 'secret_hash' }) secretHash!: Buffer;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}

@Entity('real_name_verifications')
export class RealNameVerification {
  @PrimaryColumn('uuid', { name: 'account_id' }) accountId!: string;
  @Column('text') status!: 'verified' | 'rejected';
  @Column('text') provider!: string;
  /**
   * HMAC-SHA256 of the ID number under ID_HASH_PEPPER, unique among verified rows: one number
   * verifies one account. The number itself is never stored. Null only on legacy rows.
   */
  @Column('bytea', { name: 'id_hmac', nullable: true }) idHmac!: Buffer | null;
  /** Legacy rows (before HashIdNumbersWithHmac): a salted hash that cannot be compared; else null. */
  @Column('bytea', { name: 'id_hash', nullable: true }) idHash!: Buffer | null;
  @Column('bytea', { nullable: true }) salt!: Buffer | null;
  @CreateDateColumn({ name: 'verified_at', type: 'timestamptz' }) verifiedAt!: Date;
}

export const identityEntities = [Account, Session, ApiKey, RealNameVerification];
