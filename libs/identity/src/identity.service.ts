import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { HeirloomConfig } from '#config';
import { Batcher, inTransaction, isUniqueViolation, preparedQuery } from '#database';
import {
  DomainError,
  keysetPage,
  microsSql,
  parseTimeIdCursor,
  problems,
  timeIdCursor,
  timeOfMicrosSql,
} from '#http';
import { Account, ApiKey, RealNameVerification, Role, Session } from './identity.entities.js';
import { Passwords } from './passwords.js';
import type { Principal } from './principal.js';
import { RateLimiter } from './rate-limiter.js';
import { IDENTITY_VERIFIER, idNumberDigest, type IdentityVerifier, normalizeIdNumber } from './real-name.js';
import { API_KEY_PREFIX, hashToken, newToken, SESSION_PREFIX } from './tokens.js';

const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

/** Public view of an account: never the password hash. */
export interface AccountView {
  id: string;
  /** Null once the account is deleted. */
  email: string | null;
  handle: string;
  roles: Role[];
  creatorStatus: Account['creatorStatus'];
  creatorRejectionReason: string | null;
  frozen: boolean;
  createdAt: string;
}

export function toAccountView(account: Account): AccountView {
  const { id, email, handle, roles, creatorStatus, creatorRejectionReason, createdAt } = account;
  return {
    id,
    email,
    handle,
    roles,
    creatorStatus,
    creatorRejectionReason,
    frozen: account.frozenAt !== null,
    createdAt: createdAt.toISOString(),
  };
}

/** An account as operators see it: real-name status (never the name or number) and freezing. */
export interface AccountRecord extends AccountView {
  realNameVerified: boolean;
  frozenAt: string | null;
  frozenReason: string | null;
}

interface PrincipalRow {
  id: string;
  account_id: string;
  roles: Role[];
  frozen: boolean;
  read_fence: string | null;
}

/** Escapes LIKE's wildcards (handles may contain `_`), so a prefix matches only itself. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Accounts, sessions, API keys and roles. */
@Injectable()
export class IdentityService {
  /**
   * Session lookups run on every authenticated request: those that arrive while one query runs
   * share the next (one round trip for a batch under load; alone, a lookup runs at once).
   */
  private readonly sessionLookups = new Batcher<string, Principal | null>({
    maxBatch: 256,
    run: (tokenHashes) => this.findSessions(tokenHashes),
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly rateLimiter: RateLimiter,
    private readonly passwords: Passwords,
    @Inject(IDENTITY_VERIFIER) private readonly verifier: IdentityVerifier,
  ) {}

  /** Creates a collector account. */
  async signUp(
    input: { email: string; password: string; handle: string },
    address: string,
  ): Promise<AccountView> {
    await this.rateLimiter.consume(`sign-up:addr:${address}`, this.config.authLimitPerAddressPerMinute);
    await this.rateLimiter.consume(
      `sign-up:acct:${input.email.toLowerCase()}`,
      this.config.authLimitPerAccountPerMinute,
    );
    return toAccountView(await this.createAccount(input, ['collector']));
  }

  /** Creates an account with the given roles (used by sign-up and the operator seed). */
  async createAccount(
    input: { email: string; password: string; handle: string },
    roles: Role[],
  ): Promise<Account> {
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.dataSource.getRepository(Account).save({
        email: input.email.toLowerCase(),
        handle: input.handle,
        passwordHash,
        roles,
        creatorStatus: roles.includes('creator') ? 'approved' : 'none',
      });
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_email_key')) {
        throw problems.conflict('email-taken', 'An account with this email already exists');
      }
      if (isUniqueViolation(error, 'accounts_handle_key')) {
        throw problems.conflict('handle-taken', 'This handle is taken');
      }
      throw error;
    }
  }

  /** Checks the password and opens a session; the token is returned once and stored hashed. */
  async signIn(
    email: string,
    password: string,
    address: string,
  ): Promise<{ token: string; expiresAt: string; account: AccountView }> {
    const normalized = email.toLowerCase();
    await this.rateLimiter.consume(`sign-in:addr:${address}`, this.config.authLimitPerAddressPerMinute);
    await this.rateLimiter.consume(`sign-in:acct:${normalized}`, this.config.authLimitPerAccountPerMinute);
    const account = await this.dataSource.getRepository(Account).findOneBy({ email: normalized });
    // An unknown email costs one argon2 verification too, so timing does not tell it apart.
    // A deleted account has no email, so it is never found here.
    const valid = account?.passwordHash
      ? await this.passwords.verify(account.passwordHash, password)
      : await this.passwords.verifyAgainstDummy(password);
    if (!account || !valid) {
      throw new DomainError('invalid-credentials', 401, 'Unauthorized', 'Email or password is wrong');
    }
    const token = newToken(SESSION_PREFIX);
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.dataSource
      .getRepository(Session)
      .insert({ accountId: account.id, tokenHash: hashToken(token), expiresAt });
    return { token, expiresAt: expiresAt.toISOString(), account: toAccountView(account) };
  }

  /** Resolves a bearer credential to a principal, or null if unknown, expired or revoked. */
  async authenticate(token: string): Promise<Principal | null> {
    const tokenHash = hashToken(token);
    if (token.startsWith(SESSION_PREFIX)) return this.sessionLookups.submit(tokenHash.toString('hex'));
    if (token.startsWith(API_KEY_PREFIX)) {
      const rows = await preparedQuery<PrincipalRow>(
        this.dataSource.manager,
        'identity:authenticate-api-key',
        `SELECT k.id, k.account_id, a.roles, a.frozen_at IS NOT NULL AS frozen, f.lsn::text AS read_fence
         FROM api_keys k JOIN accounts a ON a.id = k.account_id
         LEFT JOIN read_fences f ON f.account_id = k.account_id
         WHERE k.secret_hash = $1 AND k.revoked_at IS NULL`,
        [tokenHash],
      );
      return rows[0] ? toPrincipal(rows[0], 'api-key') : null;
    }
    return null;
  }

  /** The principal of each session token hash (hex), or null if unknown, expired or revoked. */
  private async findSessions(tokenHashes: string[]): Promise<(Principal | null)[]> {
    // Prepared, so it is planned once per connection.
    const rows = await preparedQuery<PrincipalRow & { token_hash: string }>(
      this.dataSource.manager,
      'identity:authenticate-sessions',
      `SELECT s.id, encode(s.token_hash, 'hex') AS token_hash, s.account_id, a.roles,
              a.frozen_at IS NOT NULL AS frozen, f.lsn::text AS read_fence
       FROM sessions s JOIN accounts a ON a.id = s.account_id
       LEFT JOIN read_fences f ON f.account_id = s.account_id
       WHERE s.token_hash = ANY($1::bytea[]) AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [tokenHashes.map((hex) => Buffer.from(hex, 'hex'))],
    );
    const byHash = new Map(rows.map((row) => [row.token_hash, row]));
    return tokenHashes.map((tokenHash) => {
      const row = byHash.get(tokenHash);
      return row ? toPrincipal(row, 'session') : null;
    });
  }

  /** Revokes one of the account's sessions. */
  async revokeSession(accountId: string, sessionId: string): Promise<void> {
    const result = await this.dataSource
      .getRepository(Session)
      .update({ id: sessionId, accountId, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (result.affected === 0) throw problems.notFound('Session');
  }

  async listSessions(accountId: string): Promise<{ id: string; createdAt: string; expiresAt: string }[]> {
    const sessions = await this.dataSource.getRepository(Session).find({
      where: { accountId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    return sessions.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
    }));
  }

  /** Issues an API key for integrators; the secret is shown only in this response. */
  async createApiKey(accountId: string, name: string): Promise<{ id: string; name: string; key: string }> {
    const key = newToken(API_KEY_PREFIX);
    const saved = await this.dataSource
      .getRepository(ApiKey)
      .save({ accountId, name, secretHash: hashToken(key) });
    return { id: saved.id, name, key };
  }

  async listApiKeys(accountId: string): Promise<{ id: string; name: string; createdAt: string }[]> {
    const keys = await this.dataSource
      .getRepository(ApiKey)
      .find({ where: { accountId, revokedAt: IsNull() } });
    return keys.map((k) => ({ id: k.id, name: k.name, createdAt: k.createdAt.toISOString() }));
  }

  async revokeApiKey(accountId: string, keyId: string): Promise<void> {
    const result = await this.dataSource
      .getRepository(ApiKey)
      .update({ id: keyId, accountId, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (result.affected === 0) throw problems.notFound('API key');
  }

  async getAccount(accountId: string): Promise<AccountView> {
    const account = await this.dataSource.getRepository(Account).findOneBy({ id: accountId });
    if (!account) throw problems.notFound('Account');
    return toAccountView(account);
  }

  /** A collector asks to become a creator (again, after a rejection); an operator decides. */
  async applyAsCreator(accountId: string): Promise<AccountView> {
    await this.dataSource.query(
      `UPDATE accounts SET creator_status = 'pending', creator_applied_at = now(), creator_rejection_reason = NULL
       WHERE id = $1 AND creator_status IN ('none', 'rejected')`,
      [accountId],
    );
    return this.getAccount(accountId);
  }

  /**
   * An operator's decision on a pending creator application, in the caller's transaction (which
   * records it in the operator trail): approving grants the `creator` role, rejecting keeps the
   * reason for the applicant. 409 `no-pending-application` unless one is pending.
   */
  async decideCreatorApplication(
    manager: EntityManager,
    accountId: string,
    approve: boolean,
    reason: string,
  ): Promise<AccountView> {
    const account = await this.lockAccount(manager, accountId);
    if (account.creatorStatus !== 'pending') {
      throw problems.conflict(
        'no-pending-application',
        `This account has no pending creator application (its creator status is ${account.creatorStatus})`,
        { creatorStatus: account.creatorStatus },
      );
    }
    if (approve) {
      account.roles = [...new Set([...account.roles, 'creator' as const])];
      account.creatorStatus = 'approved';
      account.creatorRejectionReason = null;
    } else {
      account.creatorStatus = 'rejected';
      account.creatorRejectionReason = reason.trim();
    }
    return toAccountView(await manager.save(account));
  }

  /**
   * Freezes or unfreezes an account, in the caller's transaction (which records it in the operator
   * trail). 409 `account-state` when it is already so.
   */
  async setFrozen(
    manager: EntityManager,
    accountId: string,
    frozen: boolean,
    reason: string,
  ): Promise<AccountView> {
    const account = await this.lockAccount(manager, accountId);
    if ((account.frozenAt !== null) === frozen) {
      throw problems.conflict(
        'account-state',
        frozen ? 'This account is frozen already' : 'This account is not frozen',
        { frozen: !frozen },
      );
    }
    account.frozenAt = frozen ? new Date() : null;
    account.frozenReason = frozen ? reason.trim() : null;
    return toAccountView(await manager.save(account));
  }

  /** Pending creator applications, oldest first, in keyset pages over (applied at, id). */
  async creatorApplications(query: { limit?: number; cursor?: string }) {
    const limit = query.limit ?? 50;
    const [afterMicros, afterId] = parseTimeIdCursor(query.cursor);
    // Walks accounts_creator_queue_idx.
    const rows: {
      id: string;
      handle: string;
      applied_at: Date;
      applied_us: string;
      real_name_verified: boolean;
    }[] = await this.dataSource.query(
      `SELECT a.id, a.handle, a.creator_applied_at AS applied_at,
              ${microsSql('a.creator_applied_at')} AS applied_us,
              EXISTS (SELECT 1 FROM real_name_verifications r
                      WHERE r.account_id = a.id AND r.status = 'verified') AS real_name_verified
       FROM accounts a
       WHERE a.creator_status = 'pending'
         AND ($1::bigint IS NULL
              OR (a.creator_applied_at, a.id) > (${timeOfMicrosSql('$1')}, $2::uuid))
       ORDER BY a.creator_applied_at, a.id LIMIT $3`,
      [afterMicros, afterId, limit + 1],
    );
    return keysetPage(
      rows,
      limit,
      (row) => ({
        accountId: row.id,
        handle: row.handle,
        appliedAt: new Date(row.applied_at).toISOString(),
        realNameVerified: row.real_name_verified,
      }),
      (last) => timeIdCursor(last.applied_us, last.id),
    );
  }

  /**
   * Accounts for operators: `q` with an `@` is an exact email (emails are stored lower case), else
   * a handle prefix; handle order, keyset pages (cursor: the last handle). Deleted accounts are
   * not found (their page is still at their id).
   */
  async searchAccounts(q: string, query: { limit?: number; cursor?: string }) {
    const limit = query.limit ?? 50;
    const needle = q.trim().toLowerCase();
    const byEmail = needle.includes('@');
    const rows: {
      id: string;
      handle: string;
      email: string;
      roles: Role[];
      creator_status: Account['creatorStatus'];
      frozen_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT id, handle, email, roles, creator_status, frozen_at FROM accounts
       WHERE ${byEmail ? 'email = $1' : `handle LIKE $1 ESCAPE '\\'`}
         AND deleted_at IS NULL AND ($2::text IS NULL OR handle > $2)
       ORDER BY handle LIMIT $3`,
      [byEmail ? needle : likePrefix(needle), query.cursor ?? null, limit + 1],
    );
    return keysetPage(
      rows,
      limit,
      (row) => ({
        id: row.id,
        handle: row.handle,
        email: row.email,
        roles: row.roles,
        creatorStatus: row.creator_status,
        frozen: row.frozen_at !== null,
      }),
      (last) => last.handle,
    );
  }

  /** An account for the operators' account page; 404 when there is none. */
  async accountRecord(accountId: string): Promise<AccountRecord> {
    const account = await this.dataSource.getRepository(Account).findOneBy({ id: accountId });
    if (!account) throw problems.notFound('Account');
    return {
      ...toAccountView(account),
      realNameVerified: await this.isRealNameVerified(accountId),
      frozenAt: account.frozenAt?.toISOString() ?? null,
      frozenReason: account.frozenReason,
    };
  }

  private async lockAccount(manager: EntityManager, accountId: string): Promise<Account> {
    const account = await manager.findOne(Account, {
      where: { id: accountId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!account) throw problems.notFound('Account');
    return account;
  }

  /**
   * Locks the caller's account for its deletion, in the caller's transaction, once `confirmHandle`
   * names it: 422 `confirmation-mismatch` otherwise, so a stray request cannot delete an account.
   */
  async lockForDeletion(
    manager: EntityManager,
    accountId: string,
    confirmHandle: string,
  ): Promise<{ id: string; handle: string }> {
    const account = await this.lockAccount(manager, accountId);
    if (account.deletedAt !== null) throw problems.notFound('Account');
    if (account.handle !== confirmHandle) {
      throw problems.unprocessable(
        'confirmation-mismatch',
        'To delete your account, send your own handle as `confirmHandle`; nothing was deleted',
      );
    }
    return { id: account.id, handle: account.handle };
  }

  /**
   * Erases an account's personal data in the caller's transaction, leaving a tombstone row that
   * nobody can sign in to: sessions, API keys, real-name data and the rate-limit counters keyed by
   * its email go; email, password and the application's reason are cleared; the handle becomes a
   * random `deleted-…` one (others may take the old one). The id stays: the ledger and the records
   * kept by law (orders, money journal, operator trail) name it, and it was never personal data.
   */
  async eraseAccount(manager: EntityManager, accountId: string): Promise<{ deletedAt: string }> {
    const account = await this.lockAccount(manager, accountId);
    await manager.query(`DELETE FROM sessions WHERE account_id = $1`, [accountId]);
    await manager.query(`DELETE FROM api_keys WHERE account_id = $1`, [accountId]);
    await manager.query(`DELETE FROM real_name_verifications WHERE account_id = $1`, [accountId]);
    if (account.email !== null) {
      await manager.query(`DELETE FROM rate_limit_hits WHERE key = ANY($1::text[])`, [
        [`sign-in:acct:${account.email}`, `sign-up:acct:${account.email}`],
      ]);
    }
    await manager.query(
      `UPDATE accounts SET email = NULL, password_hash = NULL, handle = $2, roles = '{}',
         creator_status = 'none', creator_applied_at = NULL, creator_rejection_reason = NULL,
         frozen_at = NULL, frozen_reason = NULL, deleted_at = now()
       WHERE id = $1`,
      [accountId, `deleted-${randomBytes(6).toString('hex')}`],
    );
    // UPDATE … RETURNING comes back as [rows, count] through TypeORM: read the row back instead.
    const [row]: { deleted_at: Date }[] = await manager.query(
      `SELECT deleted_at FROM accounts WHERE id = $1`,
      [accountId],
    );
    return { deletedAt: new Date(row!.deleted_at).toISOString() };
  }

  /** Grants or removes a role (operator only); approving a creator is granting `creator`. */
  async setRole(accountId: string, role: Role, granted: boolean): Promise<AccountView> {
    return inTransaction(this.dataSource, async (manager: EntityManager) => {
      const account = await this.lockAccount(manager, accountId);
      const roles = new Set(account.roles);
      if (granted) roles.add(role);
      else roles.delete(role);
      account.roles = [...roles];
      if (role === 'creator') {
        account.creatorStatus = granted ? 'approved' : 'none';
        account.creatorRejectionReason = null;
      }
      return toAccountView(await manager.save(account));
    });
  }

  /**
   * Runs real-name verification and stores only its status and a keyed digest of the ID number.
   * One number verifies one account (a unique index, so concurrent requests cannot both win);
   * verifying the same account again with the same number is a no-op. The provider is asked first,
   * so "in use" is told only to someone who holds a name and number that verify.
   */
  async verifyRealName(accountId: string, fullName: string, idNumber: string): Promise<{ status: string }> {
    const normalized = normalizeIdNumber(idNumber);
    const check = await this.verifier.verify({ fullName, idNumber: normalized });
    if (check.status === 'rejected') {
      throw problems.unprocessable(
        'real-name-rejected',
        `Real-name verification failed: ${check.reason ?? 'rejected'}`,
      );
    }
    const idHmac = idNumberDigest(normalized, this.config.idHashPepper);
    try {
      await this.dataSource.query(
        `INSERT INTO real_name_verifications (account_id, status, provider, id_hmac)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, provider = excluded.provider,
           id_hmac = excluded.id_hmac, id_hash = NULL, salt = NULL, verified_at = now()`,
        [accountId, check.status, this.verifier.name, idHmac],
      );
    } catch (error) {
      if (isUniqueViolation(error, 'real_name_verifications_id_hmac_key')) {
        throw problems.conflict('id-number-in-use', 'This ID number is already verified on another account');
      }
      throw error;
    }
    return { status: check.status };
  }

  /**
   * The account a public handle names (handles are lower case), or `undefined`. `lockAgainstDeletion`
   * (in a transaction) key-share locks it, as a foreign key to it would: a deletion running now is
   * waited for, and then the deleted account is not found.
   */
  async accountByHandle(
    handle: string,
    manager: EntityManager = this.dataSource.manager,
    lockAgainstDeletion = false,
  ): Promise<{ id: string; handle: string } | undefined> {
    // A deleted account's tombstone handle names nobody: nothing may be given to it.
    const account = await manager.findOne(Account, {
      where: { handle, deletedAt: IsNull() },
      select: { id: true, handle: true },
      ...(lockAgainstDeletion ? { lock: { mode: 'for_key_share' as const } } : {}),
    });
    return account ?? undefined;
  }

  /** True when the account passed real-name verification. */
  async isRealNameVerified(
    accountId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const row = await manager.findOneBy(RealNameVerification, { accountId, status: 'verified' });
    return row !== null;
  }
}

function toPrincipal(row: PrincipalRow, via: Principal['via']): Principal {
  return {
    accountId: row.account_id,
    roles: row.roles,
    via,
    credentialId: row.id,
    frozen: row.frozen,
    readFence: row.read_fence,
  };
}
