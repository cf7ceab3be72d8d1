import { hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import {
  applyEntry,
  bytesEqual,
  CompactRange,
  decodeEntry,
  openNote,
  parseCheckpoint,
  toHex,
  type LedgerEntry,
  type TokenState,
} from './core/index.js';
import { LedgerKeys } from './ledger-keys.js';

/** A token's owner and status as the database's ownership tables hold them. */
export interface OwnershipRow {
  tokenId: string;
  owner: string | null;
  status: 'active' | 'frozen' | 'burned';
}

/** Port: reads every token's ownership row, in the audit's snapshot transaction. */
export interface OwnershipReader {
  readOwnership(manager: EntityManager): AsyncIterable<OwnershipRow[]>;
}

export type MismatchKind =
  | 'ledger-row-tampered'
  | 'ledger-gap'
  | 'checkpoint-mismatch'
  | 'checkpoint-signature'
  | 'root-mismatch'
  | 'illegal-history'
  | 'ownership-mismatch'
  | 'missing-from-log'
  | 'missing-from-database';

export interface Mismatch {
  kind: MismatchKind;
  detail: string;
  index?: number;
  tokenId?: string;
}

export interface AuditReport {
  ok: boolean;
  entries: number;
  queued: number;
  checkpointsChecked: number;
  tokens: number;
  root: string;
  mismatches: Mismatch[];
  durationMs: number;
}

const BATCH = 50_000;

/**
 * Audit replay: recomputes the tree from the entries alone and checks it against every signed
 * checkpoint and the stored root; replays every token's owner and status from the log; diffs that
 * against the ownership tables. Runs in one REPEATABLE READ snapshot so the log and the tables are
 * read as of the same instant (queued, not yet sequenced entries are replayed too).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly keys: LedgerKeys,
  ) {}

  async audit(ownership: OwnershipReader): Promise<AuditReport> {
    const started = Date.now();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction('REPEATABLE READ');
    try {
      const report = await this.auditInSnapshot(runner.manager, ownership);
      return { ...report, durationMs: Date.now() - started };
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  private async auditInSnapshot(
    manager: EntityManager,
    ownership: OwnershipReader,
  ): Promise<Omit<AuditReport, 'durationMs'>> {
    const mismatches: Mismatch[] = [];
    const checkpoints = await this.loadCheckpoints(manager, mismatches);
    const tokens = new Map<string, TokenState>();
    const tree = CompactRange.empty();
    const replay = (index: number | undefined, entry: LedgerEntry) => {
      const result = applyEntry(tokens.get(entry.token), entry);
      if (result.state) tokens.set(entry.token, result.state);
      for (const v of result.violations) {
        mismatches.push({ kind: 'illegal-history', index, tokenId: v.token, detail: v.message });
      }
    };

    let checkpointAt = 0;
    let next = 0; // the index the next row must have
    let treeBroken = false; // past a gap the tree cannot be recomputed, but ownership can be replayed
    const readFrom = (start: number): Promise<EntryRow[]> =>
      manager.query(
        `SELECT idx, token_id, leaf_hash, entry FROM ledger_entries WHERE idx >= $1 ORDER BY idx LIMIT $2`,
        [start, BATCH],
      );
    let reading = readFrom(0);
    for (;;) {
      const rows = await reading;
      // The database reads the next batch while this one is replayed.
      if (rows.length === BATCH) reading = readFrom(Number(rows[rows.length - 1].idx) + 1);
      for (const row of rows) {
        const index = Number(row.idx);
        if (index !== next) {
          mismatches.push({
            kind: 'ledger-gap',
            index: next,
            detail: `entries ${next}..${index - 1} are missing`,
          });
          treeBroken = true;
        }
        next = index + 1;
        const hash = nodeLeafHash(row.entry);
        if (!hash.equals(row.leaf_hash)) {
          mismatches.push({
            kind: 'ledger-row-tampered',
            index,
            tokenId: row.token_id,
            detail: 'entry bytes do not match their stored leaf hash',
          });
        }
        const entry = this.decode(row.entry, index, mismatches);
        if (entry && entry.token !== row.token_id) {
          mismatches.push({
            kind: 'ledger-row-tampered',
            index,
            tokenId: row.token_id,
            detail: `token column says ${row.token_id}, entry says ${entry.token}`,
          });
        }
        if (entry) replay(index, entry);
        if (treeBroken) continue;
        tree.append(hash);
        for (
          ;
          checkpointAt < checkpoints.length && checkpoints[checkpointAt].size === tree.size;
          checkpointAt++
        ) {
          if (!bytesEqual(checkpoints[checkpointAt].root, tree.root())) {
            mismatches.push({
              kind: 'checkpoint-mismatch',
              index: tree.size - 1,
              detail: `recomputed root at size ${tree.size} differs from the signed checkpoint: the log was rewritten`,
            });
          }
        }
      }
      if (rows.length < BATCH) break;
    }
    for (const missed of checkpoints.slice(checkpointAt)) {
      mismatches.push({
        kind: 'checkpoint-mismatch',
        detail: `checkpoint of size ${missed.size} is beyond the log's ${tree.size} entries`,
      });
    }
    return this.finish(manager, tree, tokens, checkpoints.length, mismatches, ownership, replay);
  }

  private async finish(
    manager: EntityManager,
    tree: CompactRange,
    tokens: Map<string, TokenState>,
    checkpointsChecked: number,
    mismatches: Mismatch[],
    ownership: OwnershipReader,
    replay: (index: number | undefined, entry: LedgerEntry) => void,
  ): Promise<Omit<AuditReport, 'durationMs'>> {
    const [state]: { size: string; root: Buffer }[] = await manager.query(
      `SELECT size, root FROM ledger_state WHERE id = 1`,
    );
    if (Number(state.size) !== tree.size || !bytesEqual(state.root, tree.root())) {
      mismatches.push({
        kind: 'root-mismatch',
        detail: `stored tree state (size ${state.size}) differs from the tree recomputed from ${tree.size} entries`,
      });
    }
    // Entries committed with their ownership change but not yet given an index.
    const queued: { entry: Buffer }[] = await manager.query(`SELECT entry FROM ledger_queue ORDER BY id`);
    for (const row of queued) {
      const entry = this.decode(row.entry, undefined, mismatches);
      if (entry) replay(undefined, entry);
    }
    let databaseTokens = 0;
    const seen = new Set<string>();
    for await (const batch of ownership.readOwnership(manager)) {
      for (const row of batch) {
        databaseTokens++;
        seen.add(row.tokenId);
        const fromLog = tokens.get(row.tokenId);
        if (!fromLog) {
          mismatches.push({
            kind: 'missing-from-log',
            tokenId: row.tokenId,
            detail: 'token exists in the database but has no ledger history',
          });
        } else if (fromLog.owner !== row.owner || fromLog.status !== row.status) {
          mismatches.push({
            kind: 'ownership-mismatch',
            tokenId: row.tokenId,
            detail: `database says owner ${row.owner ?? 'none'} (${row.status}), the log says ${fromLog.owner ?? 'none'} (${fromLog.status})`,
          });
        }
      }
    }
    for (const tokenId of tokens.keys()) {
      if (!seen.has(tokenId)) {
        mismatches.push({
          kind: 'missing-from-database',
          tokenId,
          detail: 'the log has a history for a token the database lacks',
        });
      }
    }
    return {
      ok: mismatches.length === 0,
      entries: tree.size,
      queued: queued.length,
      checkpointsChecked,
      tokens: databaseTokens,
      root: toHex(tree.root()),
      mismatches,
    };
  }

  private decode(
    bytes: Uint8Array,
    index: number | undefined,
    mismatches: Mismatch[],
  ): LedgerEntry | undefined {
    try {
      return decodeEntry(bytes);
    } catch (error) {
      mismatches.push({
        kind: 'ledger-row-tampered',
        index,
        detail: `entry does not decode: ${(error as Error).message}`,
      });
      return undefined;
    }
  }

  /** Stored checkpoints whose operator signature and body check out. */
  private async loadCheckpoints(manager: EntityManager, mismatches: Mismatch[]) {
    const rows: { size: string; root: Buffer; note: string }[] = await manager.query(
      `SELECT size, root, note FROM ledger_checkpoints ORDER BY size`,
    );
    const verified: { size: number; root: Uint8Array }[] = [];
    for (const row of rows) {
      try {
        const checkpoint = parseCheckpoint(openNote(row.note, [this.keys.operatorVerifier]).text);
        if (checkpoint.origin !== this.config.ledgerOrigin || checkpoint.size !== Number(row.size)) {
          throw new Error('origin or size differs from the row');
        }
        verified.push({ size: checkpoint.size, root: checkpoint.rootHash });
      } catch (error) {
        mismatches.push({
          kind: 'checkpoint-signature',
          detail: `checkpoint ${row.size}: ${(error as Error).message}`,
        });
      }
    }
    return verified;
  }
}

interface EntryRow {
  idx: string;
  token_id: string;
  leaf_hash: Buffer;
  entry: Buffer;
}

const LEAF_PREFIX = Buffer.of(0x00);

/** RFC 9162 leaf hash SHA-256(0x00 ‖ entry) with node:crypto: the same bytes as the core's leafHash, faster. */
function nodeLeafHash(entry: Buffer): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, entry]), 'buffer');
}
