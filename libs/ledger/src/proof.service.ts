import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { problems } from '#http';
import {
  consistencyPlan,
  decodeEntry,
  inclusionPlan,
  type LedgerEntry,
  type NodeLookup,
  type ProofPlan,
} from './core/index.js';
import { ENTRIES_FROM_INDEX, INDEX_OF_ENTRY, INTEGRATED } from './log-positions.js';
import { leafHashOf } from './strips.js';
import { loadNodes, loadNodesWithSize, loadTreeState } from './tree-store.js';

export interface StoredEntry {
  index: number;
  bytes: Uint8Array;
  leafHash: Uint8Array;
  entry: LedgerEntry;
}

/** Serves entries and RFC 9162 proofs from the stored subtree hashes (never rehashing the log). */
@Injectable()
export class ProofService {
  constructor(private readonly dataSource: DataSource) {}

  /** The same service reading from `dataSource` (a replica, for public reads that may be stale). */
  reading(dataSource: DataSource): ProofService {
    return dataSource === this.dataSource ? this : new ProofService(dataSource);
  }

  /** Current integrated tree size and root. */
  treeState(manager: EntityManager = this.dataSource.manager) {
    return loadTreeState(manager);
  }

  /** Inclusion proof of leaf `index` in the tree of `size` leaves (default: current size). */
  async inclusionProof(
    index: number,
    size?: number,
  ): Promise<{ index: number; size: number; proof: Uint8Array[] }> {
    if (size !== undefined && isValidSize(size) && isWithin(index, 0, size - 1)) {
      const plan = inclusionPlan(index, size);
      return { index, size, proof: plan.build(await this.nodesAtSize(plan, size)) };
    }
    const treeSize = await this.checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
      throw problems.badRequest('index-out-of-range', `index must be below the tree size ${treeSize}`);
    }
    const plan = inclusionPlan(index, treeSize);
    const lookup = await loadNodes(this.dataSource.manager, plan.nodeIds);
    return { index, size: treeSize, proof: plan.build(lookup) };
  }

  /** Index of the entry with this leaf hash, if it is within the first `size` leaves. */
  async indexOfLeaf(leafHash: Uint8Array, size?: number): Promise<number> {
    const treeSize = await this.checkSize(size);
    const rows: { idx: string }[] = await this.dataSource.query(
      `SELECT pos.idx FROM ledger_entries e JOIN ledger_state st ON st.id = 1 ${INDEX_OF_ENTRY}
       WHERE sha256('\\x00'::bytea || e.entry) = $1 AND ${INTEGRATED} AND pos.idx < $2
       ORDER BY e.tx, e.id LIMIT 1`,
      [Buffer.from(leafHash), treeSize],
    );
    if (!rows[0]) throw problems.notFound('An entry with this leaf hash');
    return Number(rows[0].idx);
  }

  /** Consistency proof between two tree sizes. */
  async consistencyProof(
    from: number,
    to?: number,
  ): Promise<{ from: number; to: number; proof: Uint8Array[] }> {
    if (to !== undefined && isValidSize(to) && isWithin(from, 0, to)) {
      const plan = consistencyPlan(from, to);
      return { from, to, proof: plan.build(await this.nodesAtSize(plan, to)) };
    }
    const size2 = await this.checkSize(to);
    if (!Number.isSafeInteger(from) || from < 0 || from > size2) {
      throw problems.badRequest('size-out-of-range', `"from" must be between 0 and ${size2}`);
    }
    const plan = consistencyPlan(from, size2);
    const lookup = await loadNodes(this.dataSource.manager, plan.nodeIds);
    return { from, to: size2, proof: plan.build(lookup) };
  }

  /** Entries [start, end) in log order. */
  async entries(start: number, end: number): Promise<StoredEntry[]> {
    if (end <= start) return [];
    const rows: { entry: Buffer }[] = await this.dataSource.query(ENTRIES_FROM_INDEX, [start, end - start]);
    return rows.map((row, i) => toStoredEntry(start + i, row.entry));
  }

  /** Every entry of one token, in log order. */
  async tokenEntries(tokenId: string, maxSize?: number): Promise<StoredEntry[]> {
    const rows: { idx: string; entry: Buffer }[] = await this.dataSource.query(
      `SELECT pos.idx, e.entry FROM ledger_entries e JOIN ledger_state st ON st.id = 1 ${INDEX_OF_ENTRY}
       WHERE e.token_id = $1 AND ${INTEGRATED} AND pos.idx < $2
       ORDER BY e.tx, e.id`,
      [tokenId, maxSize ?? Number.MAX_SAFE_INTEGER],
    );
    return rows.map((row) => toStoredEntry(Number(row.idx), row.entry));
  }

  /**
   * Where a token's entry of `type` with `ref` (e.g. the sale of an order) stands in the log: its
   * index once integrated (null while it waits for the sequencer) and the current tree size; or
   * `undefined` if no such entry was written. Read in one statement, so the two agree.
   */
  async entryPosition(
    tokenId: string,
    type: LedgerEntry['type'],
    ref: string,
  ): Promise<{ index: number | null; treeSize: number } | undefined> {
    const [row]: { idx: string | null; size: string }[] = await this.dataSource.query(
      `WITH hit AS (
         SELECT e.tx, e.id, ${INTEGRATED} AS integrated, st.size
         FROM ledger_entries e JOIN ledger_state st ON st.id = 1
         WHERE e.token_id = $1 AND convert_from(e.entry, 'UTF8')::jsonb @> $2::jsonb
         ORDER BY e.tx, e.id LIMIT 1)
       SELECT hit.size,
              (SELECT pos.idx FROM ledger_entries e ${INDEX_OF_ENTRY}
               WHERE hit.integrated AND e.tx = hit.tx AND e.id = hit.id) AS idx
       FROM hit`,
      [tokenId, JSON.stringify({ type, ref })],
    );
    if (!row) return undefined;
    return { index: row.idx === null ? null : Number(row.idx), treeSize: Number(row.size) };
  }

  private async checkSize(size: number | undefined): Promise<number> {
    const state = await loadTreeState(this.dataSource.manager);
    if (size === undefined) return state.size;
    if (!isValidSize(size) || size > state.size) throw sizeOutOfRange(state.size);
    return size;
  }

  /**
   * A plan's nodes for a tree size the caller named, checked against the log's size in the same
   * query: one round trip per proof.
   */
  private async nodesAtSize(plan: ProofPlan, size: number): Promise<NodeLookup> {
    const loaded = await loadNodesWithSize(this.dataSource.manager, plan.nodeIds);
    if (size > loaded.size) throw sizeOutOfRange(loaded.size);
    return loaded.lookup;
  }
}

const isValidSize = (size: number) => Number.isSafeInteger(size) && size >= 1;
const isWithin = (n: number, min: number, max: number) => Number.isSafeInteger(n) && n >= min && n <= max;

function sizeOutOfRange(treeSize: number) {
  return problems.badRequest('size-out-of-range', `size must be between 1 and the tree size ${treeSize}`);
}

function toStoredEntry(index: number, stored: Buffer): StoredEntry {
  const bytes = new Uint8Array(stored);
  return { index, bytes, leafHash: new Uint8Array(leafHashOf(bytes)), entry: decodeEntry(bytes) };
}
