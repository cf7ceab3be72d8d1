import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HASH_SIZE } from './core/index.js';
import { IntegrityAlerts } from './integrity-alerts.js';
import { SEGMENT_SIZE } from './log-positions.js';
import { appendLeaves, rootOfFrontier, splitHashes, type StripAppend } from './strips.js';
import { LedgerIntegrityError, checkStoredFrontier } from './tree-store.js';

/**
 * Integrates written entries into the Merkle tree, one writer at a time (the ledger_state row lock).
 *
 * Entries are written once, by the ownership change they record (ledger-writer.ts), keyed (tx, id):
 * the writing transaction's id, then a sequence. Once every transaction older than tx has ended — tx
 * is below the snapshot's xmin — no entry can still appear before it in that order, so the sequencer
 * takes the next settled entries in (tx, id) order; their positions are their log indices. It
 * stores, in one transaction: the leaf hashes and every completed parent node (strips.ts), one segment
 * row for each entry at a multiple of 256 (to find an index's entry), and the new position, frontier
 * and root. Entry bytes never leave the database: PostgreSQL's sha256 hashes the leaves there.
 *
 * Nothing stored is trusted: before a batch the stored frontier must be exactly the frontier nodes in
 * the strips and the stored root their root; otherwise the sequencer refuses to integrate
 * (LedgerIntegrityError, and an integrity alert).
 */
@Injectable()
export class Sequencer {
  private readonly logger = new Logger(Sequencer.name);
  private waitingSince: number | undefined;
  private warnedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly alerts: IntegrityAlerts,
  ) {}

  /** Integrates up to `limit` settled entries; returns how many. Refuses over an inconsistent stored tree. */
  async integrateBatch(limit = 20_000): Promise<number> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const state = await lockState(manager);
        await checkState(manager, state);
        const batch = await settledBatch(manager, state, limit);
        if (batch.count === 0) return 0;
        await storeBatch(manager, state, batch);
        return batch.count;
      });
    } catch (error) {
      // Refusing to integrate over an inconsistent stored tree.
      if (error instanceof LedgerIntegrityError) {
        await this.alerts.raise({
          kind: 'sequencer-refused',
          subject: 'ledger_state',
          detail: error.problems.join('; '),
        });
      }
      throw error;
    }
  }

  /** Integrates everything settled so far. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.integrateBatch(); n > 0; n = await this.integrateBatch()) total += n;
    return total;
  }

  /**
   * The background job: drains, and warns (at most every STALL_WARNING_MS) while written entries have
   * waited that long behind a transaction that will not end — on this database server, any open
   * transaction that has written holds back every entry written after it began.
   */
  async runJob(): Promise<void> {
    if ((await this.drain()) > 0) {
      this.waitingSince = undefined;
      return;
    }
    const blocker = await this.waitingBehind();
    const now = Date.now();
    if (!blocker) this.waitingSince = undefined;
    else if (
      (this.waitingSince ??= now) <= now - STALL_WARNING_MS &&
      this.warnedAt <= now - STALL_WARNING_MS
    ) {
      this.warnedAt = now;
      this.logger.warn(
        { waitingMs: now - this.waitingSince, oldestOpenTransaction: blocker },
        'ledger entries are waiting for an older open transaction to end before they can be integrated',
      );
    }
  }

  /** When written entries wait to be integrated: the oldest open transaction that has written. */
  async waitingBehind(): Promise<OpenTransaction | undefined> {
    const [row]: (OpenTransaction | { pid: null })[] = await this.dataSource.query(
      `SELECT a.pid, a.datname AS database, a.state, round(extract(epoch FROM now() - a.xact_start) * 1000)::int AS "ageMs",
         left(a.query, 200) AS query
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (
         SELECT * FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
         ORDER BY age(backend_xid) DESC LIMIT 1
       ) a ON true
       WHERE EXISTS (SELECT 1 FROM ledger_entries e JOIN ledger_state st ON st.id = 1
                     WHERE (e.tx, e.id) > (st.last_tx, st.last_id))`,
    );
    return row && row.pid !== null ? row : undefined;
  }
}

/** A database session holding back integration (pg_stat_activity). */
export interface OpenTransaction {
  pid: number;
  database: string;
  state: string;
  ageMs: number;
  query: string;
}

const STALL_WARNING_MS = 10_000;

interface SequencerState {
  size: number;
  lastTx: string;
  lastId: string;
  frontier: Buffer;
  root: Buffer;
}

/**
 * Locks and reads the sequencer's state. Also, for the transaction: no sorts or bitmap scans, and
 * room for a large batch in memory.
 */
async function lockState(manager: EntityManager): Promise<SequencerState> {
  const [row]: {
    size: string;
    last_tx: string;
    last_id: string;
    frontier: Buffer;
    root: Buffer;
  }[] = await manager.query(
    `SELECT size, last_tx::text, last_id, frontier, root,
       set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true),
       set_config('work_mem', '64MB', true)
     FROM ledger_state WHERE id = 1 FOR UPDATE`,
  );
  return {
    size: Number(row.size),
    lastTx: row.last_tx,
    lastId: row.last_id,
    frontier: row.frontier,
    root: row.root,
  };
}

/** Refuses (LedgerIntegrityError) unless the stored frontier is the strips' and the root is theirs. */
async function checkState(manager: EntityManager, state: SequencerState): Promise<void> {
  const { problems } = await checkStoredFrontier(manager, state);
  if (problems.length > 0) throw new LedgerIntegrityError(problems);
}

/** Strips, segments and the new state, in one statement. */
async function storeBatch(manager: EntityManager, state: SequencerState, batch: SettledBatch): Promise<void> {
  const frontier = splitHashes(state.frontier);
  const strips = appendLeaves(frontier, state.size, batch.leaves);
  await manager.query(
    `WITH strips AS (
       INSERT INTO ledger_strips (level, idx, hashes)
       SELECT level, idx, substring($3::bytea FROM start FOR length)
       FROM unnest($1::smallint[], $2::bigint[], $4::int[], $5::int[]) AS t(level, idx, start, length)
       ON CONFLICT (level, idx) DO UPDATE SET hashes = ledger_strips.hashes || EXCLUDED.hashes
     ), segments AS (
       INSERT INTO ledger_segments (idx, first_tx, first_id)
       SELECT * FROM unnest($11::bigint[], $12::xid8[], $13::bigint[])
     )
     UPDATE ledger_state SET size = $6, root = $7, last_tx = $8, last_id = $9, frontier = $10 WHERE id = 1`,
    [
      ...stripColumns(strips),
      state.size + batch.count,
      rootOfFrontier(frontier),
      batch.lastTx,
      batch.lastId,
      Buffer.concat(frontier),
      batch.segments.map((segment) => segment.index),
      batch.segments.map((segment) => segment.tx),
      batch.segments.map((segment) => segment.id),
    ],
  );
}

interface SettledBatch {
  count: number;
  /** Leaf hashes, concatenated, in log order. */
  leaves: Buffer;
  /** The entries that start a segment (log index a multiple of SEGMENT_SIZE). */
  segments: { index: number; tx: string; id: string }[];
  /** The new position: the batch's last entry. */
  lastTx: string;
  lastId: string;
}

/** The next settled entries after the sequencer's position, in log order. */
async function settledBatch(
  manager: EntityManager,
  state: SequencerState,
  limit: number,
): Promise<SettledBatch> {
  // lockState disabled sorts and bitmap scans for this transaction: this walks the primary key in
  // order and stops at the limit, and every aggregate below takes its rows in that order (no sort).
  const [row]: {
    leaves: Buffer | null;
    count: number;
    segment_txs: string[] | null;
    segment_ids: string[] | null;
    last_tx: string | null;
    last_id: string | null;
  }[] = await manager.query(
    `SELECT string_agg(sha256('\\x00'::bytea || entry), ''::bytea ORDER BY tx, id) AS leaves,
       count(*)::int AS count,
       array_agg(tx::text ORDER BY tx, id) FILTER (WHERE starts_segment) AS segment_txs,
       array_agg(id ORDER BY tx, id) FILTER (WHERE starts_segment) AS segment_ids,
       max(tx::text) FILTER (WHERE last) AS last_tx,
       max(id) FILTER (WHERE last) AS last_id
     FROM (
       SELECT tx, id, entry,
         ($3::bigint + row_number() OVER w - 1) % ${SEGMENT_SIZE} = 0 AS starts_segment,
         lead(id) OVER w IS NULL AS last
       FROM (
         SELECT tx, id, entry FROM ledger_entries
         WHERE (tx, id) > ($1::xid8, $2::bigint) AND tx < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY tx, id LIMIT $4
       ) AS settled
       WINDOW w AS (ORDER BY tx, id)
     ) AS batch`,
    [state.lastTx, state.lastId, state.size, limit],
  );
  if (row.count === 0) {
    return { count: 0, leaves: Buffer.alloc(0), segments: [], lastTx: '', lastId: '' };
  }
  const leaves = row.leaves!;
  const txs = row.segment_txs ?? [];
  const ids = row.segment_ids ?? [];
  const first = Math.ceil(state.size / SEGMENT_SIZE);
  if (leaves.length !== row.count * HASH_SIZE || ids.length !== txs.length || !row.last_tx || !row.last_id) {
    throw new Error('sequencer: the batch read back inconsistent');
  }
  return {
    count: row.count,
    leaves,
    segments: txs.map((tx, i) => ({ index: first + i, tx, id: ids[i] })),
    lastTx: row.last_tx,
    lastId: row.last_id,
  };
}

/** Strip appends as parameters: levels, indices, every hash in one value, and where each strip's are. */
function stripColumns(strips: readonly StripAppend[]): [number[], number[], Buffer, number[], number[]] {
  const starts: number[] = [];
  let start = 1; // SQL substring counts from 1
  for (const strip of strips) {
    starts.push(start);
    start += strip.hashes.length;
  }
  return [
    strips.map((strip) => strip.level),
    strips.map((strip) => strip.index),
    Buffer.concat(strips.map((strip) => strip.hashes)),
    starts,
    strips.map((strip) => strip.hashes.length),
  ];
}
