import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ReadinessChecks } from '#health';
import { problems } from '#http';
import { CosignatureError, parseCosignatureVerifierKey, type CosignatureVerifier } from './core/index.js';
import { IntegrityAlerts } from './integrity-alerts.js';
import { LedgerKeys } from './ledger-keys.js';

/** An allow-listed witness: its cosignature/v1 key, and where checkpoints are pushed (if anywhere). */
export interface AllowedWitness {
  id: number;
  name: string;
  verifierKey: string;
  /** tlog-witness submission prefix; null: it is not pushed to (it may still post cosignatures). */
  url: string | null;
  /** The size we believe it last co-signed (what we send as `old`); null: never heard from it. */
  knownSize: number | null;
  verifier: CosignatureVerifier;
}

/** What makes a checkpoint final: `quorum` cosignatures by the active witnesses. */
export interface WitnessPolicy {
  quorum: number;
  witnesses: AllowedWitness[];
}

/** Why an add-checkpoint push was refused by the witness (its HTTP status and answer). */
export interface WitnessRefusal {
  status: number;
  reason: string;
  size: number;
}

/** Who changes the allow-list: an operator's account id, or the environment at start-up. */
export const SEEDED_BY = 'LEDGER_WITNESS_KEYS';
const SNAPSHOT_MAX_AGE_MS = 1000;

/**
 * The run-time allow-list of witnesses and the quorum, stored in PostgreSQL so that every API
 * process sees an operator's change without a restart. Every change is recorded with who, when
 * and why. The environment only seeds it: a key it names is added once (never re-added after an
 * operator retired it), and its quorum is used until an operator sets one.
 */
@Injectable()
export class WitnessRegistry implements OnModuleInit {
  private readonly logger = new Logger('WitnessRegistry');
  private snapshot: WitnessPolicy = { quorum: 0, witnesses: [] };
  private snapshotAt = 0;
  private refreshing: Promise<unknown> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: LedgerKeys,
    private readonly alerts: IntegrityAlerts,
    private readonly readiness: ReadinessChecks,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.seed();
    await this.policy();
    this.readiness.register('witnesses', async () => {
      const refusing = await this.refusing();
      if (refusing.length === 0) return { status: 'ok', detail: 'no witness refuses our checkpoints' };
      return {
        status: 'failing',
        detail: refusing
          .map((w) => `${w.name} refused checkpoint ${w.size} (${w.status}): ${w.reason}`)
          .join('; '),
      };
    });
  }

  /** The active witnesses and the quorum, read now (and kept as the snapshot `cached` answers). */
  async policy(manager: EntityManager = this.dataSource.manager): Promise<WitnessPolicy> {
    const [[{ quorum }], rows] = await Promise.all([
      manager.query(`SELECT COALESCE((SELECT quorum FROM ledger_witness_policy WHERE id = 1), 0) AS quorum`),
      manager.query(
        `SELECT id, name, verifier_key, url, known_size FROM ledger_witnesses WHERE active ORDER BY name`,
      ) as Promise<WitnessRow[]>,
    ]);
    const policy = {
      quorum: Number(quorum),
      witnesses: rows.map((row) => ({
        id: row.id,
        name: row.name,
        verifierKey: row.verifier_key,
        url: row.url,
        knownSize: row.known_size === null ? null : Number(row.known_size),
        verifier: parseCosignatureVerifierKey(row.verifier_key),
      })),
    };
    this.snapshot = policy;
    this.snapshotAt = Date.now();
    return policy;
  }

  /** The last policy read, refreshed in the background once it is a second old (for sync callers). */
  cached(): WitnessPolicy {
    if (Date.now() - this.snapshotAt > SNAPSHOT_MAX_AGE_MS && !this.refreshing) {
      this.refreshing = this.policy()
        .catch((error: unknown) => this.logger.warn({ error: String(error) }, 'witness list refresh failed'))
        .finally(() => (this.refreshing = undefined));
    }
    return this.snapshot;
  }

  /** Allow-lists a witness (a cosignature/v1 or plain Ed25519 verifier key), recorded with who and why. */
  async allow(
    input: { verifierKey: string; url?: string; reason: string },
    actor: string,
  ): Promise<AllowedWitness> {
    let verifier: CosignatureVerifier;
    try {
      verifier = parseCosignatureVerifierKey(input.verifierKey);
    } catch (error) {
      const detail = error instanceof CosignatureError ? error.message : 'malformed key';
      throw problems.badRequest('invalid-witness-key', `Not a cosignature/v1 verifier key: ${detail}`);
    }
    if (verifier.name === this.keys.signer.name) {
      throw problems.badRequest('invalid-witness-key', 'A witness cannot be named like the log itself');
    }
    const url = input.url === undefined ? null : submissionPrefix(input.url);
    await this.dataSource.transaction(async (manager) => {
      const [taken] = await manager.query(
        `SELECT 1 FROM ledger_witnesses WHERE active AND name = $1 FOR UPDATE`,
        [verifier.name],
      );
      if (taken) {
        throw problems.conflict(
          'witness-name-taken',
          `A witness named ${verifier.name} is already allow-listed; retire it first to replace its key`,
        );
      }
      await insertWitness(manager, verifier, url, actor, input.reason);
    });
    const policy = await this.policy();
    return policy.witnesses.find((w) => w.name === verifier.name)!;
  }

  /** Takes a witness off the allow-list; refused if the quorum could no longer be met. */
  async retire(name: string, reason: string, actor: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [{ quorum }] = await manager.query(
        `SELECT quorum FROM ledger_witness_policy WHERE id = 1 FOR UPDATE`,
      );
      const [{ count }] = await manager.query(
        `SELECT count(*)::int AS count FROM ledger_witnesses WHERE active`,
      );
      const [witness] = await manager.query(
        `SELECT id FROM ledger_witnesses WHERE active AND name = $1 FOR UPDATE`,
        [name],
      );
      if (!witness) throw problems.notFound(`An allow-listed witness named ${name}`);
      if (count - 1 < quorum) {
        throw problems.conflict(
          'quorum-unreachable',
          `The quorum is ${quorum}: lower it before retiring one of the ${count} witnesses`,
        );
      }
      await manager.query(`UPDATE ledger_witnesses SET active = false, retired_at = now() WHERE id = $1`, [
        witness.id,
      ]);
      await recordChange(manager, 'retire', name, {}, actor, reason);
    });
    await this.policy();
  }

  /** Sets how many witness cosignatures make a checkpoint final (at most the active witnesses). */
  async setQuorum(quorum: number, reason: string, actor: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM ledger_witness_policy WHERE id = 1 FOR UPDATE`);
      const [{ count }] = await manager.query(
        `SELECT count(*)::int AS count FROM ledger_witnesses WHERE active`,
      );
      if (quorum > count) {
        throw problems.conflict(
          'quorum-unreachable',
          `Only ${count} witnesses are allow-listed: allow-list more before asking for ${quorum}`,
        );
      }
      await manager.query(
        `INSERT INTO ledger_witness_policy (id, quorum) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET quorum = EXCLUDED.quorum`,
        [quorum],
      );
      await recordChange(manager, 'quorum', null, { quorum }, actor, reason);
    });
    await this.policy();
  }

  /** Notes that `witness` co-signed checkpoint `size`. */
  async recordSuccess(witness: AllowedWitness, size: number): Promise<void> {
    witness.knownSize = size;
    await this.dataSource.query(
      `UPDATE ledger_witnesses SET known_size = $2, last_success_at = now(), last_success_size = $2 WHERE id = $1`,
      [witness.id, size],
    );
  }

  /** Notes the size a witness says it last co-signed (its 409 answer), to send as `old` next. */
  async recordKnownSize(witness: AllowedWitness, size: number): Promise<void> {
    witness.knownSize = size;
    await this.dataSource.query(`UPDATE ledger_witnesses SET known_size = $2 WHERE id = $1`, [
      witness.id,
      size,
    ]);
  }

  /**
   * A witness refused a checkpoint: it may have caught our log rewriting its history. Logged at
   * error level, kept for the operator view and readiness, and raised as an integrity alert.
   */
  async recordRefusal(witness: AllowedWitness, refusal: WitnessRefusal): Promise<void> {
    this.logger.error(
      { witness: witness.name, ...refusal },
      `WITNESS REFUSED checkpoint ${refusal.size}: the log may have been rewritten`,
    );
    await this.dataSource.query(
      `UPDATE ledger_witnesses SET last_refusal_at = now(), last_refusal_status = $2, last_refusal_reason = $3,
         last_refusal_size = $4 WHERE id = $1`,
      [witness.id, refusal.status, refusal.reason.slice(0, 2000), refusal.size],
    );
    await this.alerts.record({
      kind: 'witness-refused',
      subject: witness.name,
      detail: `refused checkpoint ${refusal.size} (HTTP ${refusal.status}): ${refusal.reason}`,
    });
  }

  /** A push failed without an answer from the witness (network, timeout, 5xx, bad cosignature). */
  async recordError(witness: AllowedWitness, message: string): Promise<void> {
    this.logger.warn({ witness: witness.name, error: message }, 'witness push failed');
    await this.dataSource.query(
      `UPDATE ledger_witnesses SET last_error_at = now(), last_error = $2 WHERE id = $1`,
      [witness.id, message.slice(0, 2000)],
    );
  }

  /** Active witnesses whose last answer was a refusal (none co-signed since). */
  async refusing(): Promise<{ name: string; status: number; reason: string; size: number }[]> {
    const rows: { name: string; status: number; reason: string; size: string }[] =
      await this.dataSource.query(
        `SELECT name, last_refusal_status AS status, last_refusal_reason AS reason, last_refusal_size AS size
       FROM ledger_witnesses
       WHERE active AND last_refusal_at IS NOT NULL
         AND (last_success_at IS NULL OR last_refusal_at > last_success_at)
       ORDER BY name`,
      );
    return rows.map((row) => ({ ...row, size: Number(row.size) }));
  }

  /** Every witness ever allow-listed (active first) with what pushing to it last gave, for operators. */
  async list(): Promise<WitnessStatus[]> {
    const rows: StatusRow[] = await this.dataSource.query(
      `SELECT w.*, (SELECT max(size) FROM ledger_checkpoints) AS newest
       FROM ledger_witnesses w ORDER BY w.active DESC, w.name, w.allowed_at`,
    );
    return rows.map((row) => {
      const newest = row.newest === null ? 0 : Number(row.newest);
      const cosigned = row.last_success_size === null ? 0 : Number(row.last_success_size);
      const refusing =
        row.active &&
        row.last_refusal_at !== null &&
        (row.last_success_at === null || row.last_refusal_at > row.last_success_at);
      return {
        name: row.name,
        verifierKey: row.verifier_key,
        url: row.url,
        active: row.active,
        allowedBy: row.allowed_by,
        allowedAt: row.allowed_at.toISOString(),
        allowedReason: row.allowed_reason,
        retiredAt: row.retired_at?.toISOString() ?? null,
        lastSuccess:
          row.last_success_at === null ? null : { at: row.last_success_at.toISOString(), size: cosigned },
        lastRefusal:
          row.last_refusal_at === null
            ? null
            : {
                at: row.last_refusal_at.toISOString(),
                httpStatus: row.last_refusal_status!,
                reason: row.last_refusal_reason!,
                size: Number(row.last_refusal_size),
              },
        lastError:
          row.last_error_at === null
            ? null
            : { at: row.last_error_at.toISOString(), reason: row.last_error! },
        lagEntries: Math.max(0, newest - cosigned),
        refusing,
      };
    });
  }

  /** The recorded changes to the allow-list and the quorum, newest first (at most 1000). */
  async changes(): Promise<WitnessChange[]> {
    const rows: {
      id: string;
      action: WitnessChange['action'];
      witness_name: string | null;
      detail: object;
      actor: string;
      reason: string;
      at: Date;
    }[] = await this.dataSource.query(
      `SELECT id, action, witness_name, detail, actor, reason, at FROM ledger_witness_changes
         ORDER BY id DESC LIMIT 1000`,
    );
    return rows.map((row) => ({
      action: row.action,
      witness: row.witness_name,
      detail: row.detail as Record<string, unknown>,
      actor: row.actor,
      reason: row.reason,
      at: row.at.toISOString(),
    }));
  }

  /** Seeds the allow-list and quorum from the environment, once per key (serialised across processes). */
  private async seed(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('heirloom:ledger-witness-seed'))`);
      for (const seed of this.keys.seedWitnesses) {
        const verifier = parseCosignatureVerifierKey(seed.verifierKey);
        const [known] = await manager.query(
          `SELECT 1 FROM ledger_witnesses WHERE verifier_key = $1 OR (active AND name = $2)`,
          [verifier.verifierKey, verifier.name],
        );
        if (known) continue;
        await insertWitness(manager, verifier, seed.url ?? null, SEEDED_BY, 'configured in the environment');
      }
      const inserted = await manager.query(
        `INSERT INTO ledger_witness_policy (id, quorum) VALUES (1, $1) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [this.keys.seedQuorum],
      );
      if (inserted.length > 0 && this.keys.seedQuorum > 0) {
        await recordChange(
          manager,
          'quorum',
          null,
          { quorum: this.keys.seedQuorum },
          SEEDED_BY,
          'LEDGER_WITNESS_QUORUM',
        );
      }
    });
  }
}

/** A witness as operators see it: its key, who allow-listed it and why, and how pushing to it goes. */
export interface WitnessStatus {
  name: string;
  verifierKey: string;
  url: string | null;
  active: boolean;
  allowedBy: string;
  allowedAt: string;
  allowedReason: string;
  retiredAt: string | null;
  lastSuccess: { at: string; size: number } | null;
  lastRefusal: { at: string; httpStatus: number; reason: string; size: number } | null;
  lastError: { at: string; reason: string } | null;
  /** Entries of our newest checkpoint beyond the one it last co-signed. */
  lagEntries: number;
  /** It refused, and has not co-signed since. */
  refusing: boolean;
}

/** One recorded change to the allow-list or the quorum. */
export interface WitnessChange {
  action: 'allow' | 'retire' | 'quorum';
  witness: string | null;
  detail: Record<string, unknown>;
  /** The operator's account id, or LEDGER_WITNESS_KEYS for the environment's seed. */
  actor: string;
  reason: string;
  at: string;
}

interface StatusRow {
  name: string;
  verifier_key: string;
  url: string | null;
  active: boolean;
  allowed_by: string;
  allowed_at: Date;
  allowed_reason: string;
  retired_at: Date | null;
  last_success_at: Date | null;
  last_success_size: string | null;
  last_refusal_at: Date | null;
  last_refusal_status: number | null;
  last_refusal_reason: string | null;
  last_refusal_size: string | null;
  last_error_at: Date | null;
  last_error: string | null;
  newest: string | null;
}

interface WitnessRow {
  id: number;
  name: string;
  verifier_key: string;
  url: string | null;
  known_size: string | null;
}

async function insertWitness(
  manager: EntityManager,
  verifier: CosignatureVerifier,
  url: string | null,
  actor: string,
  reason: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO ledger_witnesses (name, verifier_key, url, allowed_by, allowed_reason) VALUES ($1, $2, $3, $4, $5)`,
    [verifier.name, verifier.verifierKey, url, actor, reason],
  );
  await recordChange(
    manager,
    'allow',
    verifier.name,
    { verifierKey: verifier.verifierKey, url },
    actor,
    reason,
  );
}

async function recordChange(
  manager: EntityManager,
  action: 'allow' | 'retire' | 'quorum',
  witnessName: string | null,
  detail: object,
  actor: string,
  reason: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO ledger_witness_changes (action, witness_name, detail, actor, reason) VALUES ($1, $2, $3, $4, $5)`,
    [action, witnessName, JSON.stringify(detail), actor, reason],
  );
}

/** A witness's submission prefix: an http(s) URL without query, fragment or trailing slash. */
function submissionPrefix(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw problems.badRequest('invalid-witness-url', `${raw} is not a URL`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username) {
    throw problems.badRequest('invalid-witness-url', 'Give the witness URL as http(s)://host[/prefix]');
  }
  return url.toString().replace(/\/+$/, '');
}
