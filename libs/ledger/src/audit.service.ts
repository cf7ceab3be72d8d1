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
  parseTokenMapLine,
  TOKEN_MAP_LINE_KEYWORD,
  toHex,
  type LedgerEntry,
  type TokenState,
} from './core/index.js';
import { LedgerKeys } from './ledger-keys.js';
import { STRIP_WIDTH, leafHashOf, nodeInStrip } from './strips.js';
import { TokenMapTree, mapKeyOf, type MapLeaf } from './token-map-tree.js';
import { checkNodesSince } from './tree-store.js';

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
  | 'stored-node-mismatch'
  | 'token-map-mismatch'
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

    // Each token's latest integrated entry, for the token map (as the sequencer keys it: the token column).
    const latestLeaves = new Map<string, MapLeaf>();
    // The token map is rebuilt once, at the newest checkpoint that commits to one.
    const newestMapped = checkpoints.findLast((checkpoint) => checkpoint.mapRoot !== undefined);
    let checkpointAt = 0;
    let next = 0; // the index the next entry should have
    let treeBroken = false; // past a gap the tree cannot be recomputed, but ownership can be replayed
    const stored = new StoredLeaves(manager);
    // The stored tree state, read once for the snapshot. Also turns off sorts and bitmap scans for
    // the transaction: the keyset pages below walk the (tx, id) key, never sorting it.
    const [state]: StateRow[] = await manager.query(
      `SELECT size, root, frontier, last_tx::text, last_id,
         set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)
       FROM ledger_state WHERE id = 1`,
    );
    const size = Number(state.size);
    const readAfter = (tx: string, id: string): Promise<EntryRow[]> =>
      manager.query(
        `SELECT e.tx::text AS tx, e.id, e.token_id, e.entry, e.entry_seq, e.entry_type, e.entry_from, e.entry_to
         FROM ledger_entries e
         WHERE (e.tx, e.id) > ($1::xid8, $2::bigint) AND (e.tx, e.id) <= ($3::xid8, $4::bigint)
         ORDER BY e.tx, e.id LIMIT $5`,
        [tx, id, state.last_tx, state.last_id, BATCH],
      );
    let reading = readAfter('0', '0');
    for (;;) {
      const rows = await reading;
      const last = rows[rows.length - 1];
      // The database reads the next batch while this one is replayed.
      if (rows.length === BATCH) reading = readAfter(last.tx, last.id);
      for (const row of rows) {
        const hash = leafHashOf(row.entry);
        const index = next;
        const expected = await stored.at(index);
        if (!expected || !hash.equals(expected)) {
          const skipped = await stored.find(hash, index + 1);
          if (skipped !== undefined) {
            mismatches.push({
              kind: 'ledger-gap',
              index,
              detail: `entries ${index}..${skipped - 1} are missing`,
            });
            treeBroken = true;
            next = skipped;
          } else {
            mismatches.push({
              kind: 'ledger-row-tampered',
              index,
              tokenId: row.token_id,
              detail: expected
                ? 'entry bytes do not match the leaf hash integrated at this index'
                : 'entry lies beyond the integrated tree',
            });
          }
        }
        next++;
        const entry = this.decode(row.entry, index, mismatches);
        if (entry && entry.token !== row.token_id) {
          mismatches.push({
            kind: 'ledger-row-tampered',
            index,
            tokenId: row.token_id,
            detail: `token column says ${row.token_id}, entry says ${entry.token}`,
          });
        }
        const disagreement = entry && derivedColumnsDisagree(row, entry);
        if (disagreement) {
          mismatches.push({
            kind: 'ledger-row-tampered',
            index,
            tokenId: row.token_id,
            detail: disagreement,
          });
        }
        if (entry) replay(index, entry);
        latestLeaves.set(row.token_id, { key: mapKeyOf(row.token_id), index, leafHash: hash });
        if (treeBroken) continue;
        tree.append(hash);
        for (
          ;
          checkpointAt < checkpoints.length && checkpoints[checkpointAt].size === tree.size;
          checkpointAt++
        ) {
          if (checkpoints[checkpointAt] === newestMapped) {
            this.checkTokenMap(newestMapped, latestLeaves.values(), mismatches);
          }
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
    if (next < size) {
      mismatches.push({
        kind: 'ledger-gap',
        index: next,
        detail: `entries ${next}..${size - 1} are missing`,
      });
    }
    for (const missed of checkpoints.slice(checkpointAt)) {
      mismatches.push({
        kind: 'checkpoint-mismatch',
        detail: `checkpoint of size ${missed.size} is beyond the log's ${tree.size} entries`,
      });
    }
    if (!treeBroken) await this.checkStoredTree(manager, state, mismatches);
    return this.finish(manager, state, tree, tokens, checkpoints.length, mismatches, ownership, replay);
  }

  /**
   * Every stored node above the leaves (recomputed from the stored leaf hashes, which the replay
   * matched with the entries) and the stored frontier: what proofs and the next checkpoint are
   * built from.
   */
  private async checkStoredTree(
    manager: EntityManager,
    state: StateRow,
    mismatches: Mismatch[],
  ): Promise<void> {
    const stored = { size: Number(state.size), root: state.root, frontier: state.frontier };
    for (const detail of await checkNodesSince(manager, stored, 0, undefined)) {
      mismatches.push({ kind: 'stored-node-mismatch', detail });
    }
  }

  private async finish(
    manager: EntityManager,
    state: StateRow,
    tree: CompactRange,
    tokens: Map<string, TokenState>,
    checkpointsChecked: number,
    mismatches: Mismatch[],
    ownership: OwnershipReader,
    replay: (index: number | undefined, entry: LedgerEntry) => void,
  ): Promise<Omit<AuditReport, 'durationMs'>> {
    if (Number(state.size) !== tree.size || !bytesEqual(state.root, tree.root())) {
      mismatches.push({
        kind: 'root-mismatch',
        detail: `stored tree state (size ${state.size}) differs from the tree recomputed from ${tree.size} entries`,
      });
    }
    // Entries committed with their ownership change but not yet integrated.
    const queued: EntryRow[] = await manager.query(
      `SELECT token_id, entry, entry_seq, entry_type, entry_from, entry_to FROM ledger_entries
       WHERE (tx, id) > ($1::xid8, $2::bigint) ORDER BY tx, id`,
      [state.last_tx, state.last_id],
    );
    for (const row of queued) {
      const entry = this.decode(row.entry, undefined, mismatches);
      const disagreement = entry && derivedColumnsDisagree(row, entry);
      if (disagreement) {
        mismatches.push({ kind: 'ledger-row-tampered', tokenId: row.token_id, detail: disagreement });
      }
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

  /** The map of each token's latest entry below the checkpoint must be the one it commits to. */
  private checkTokenMap(
    checkpoint: { size: number; mapRoot?: Uint8Array },
    latestLeaves: Iterable<MapLeaf>,
    mismatches: Mismatch[],
  ): void {
    const map = TokenMapTree.build(latestLeaves, checkpoint.size);
    if (!bytesEqual(map.root, checkpoint.mapRoot!)) {
      mismatches.push({
        kind: 'token-map-mismatch',
        detail: `checkpoint ${checkpoint.size} commits to token map ${toHex(checkpoint.mapRoot!)}, the entries give ${toHex(map.root)}`,
      });
    }
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
    const verified: { size: number; root: Uint8Array; mapRoot?: Uint8Array }[] = [];
    for (const row of rows) {
      try {
        const checkpoint = parseCheckpoint(openNote(row.note, [this.keys.operatorVerifier]).text);
        if (checkpoint.origin !== this.config.ledgerOrigin || checkpoint.size !== Number(row.size)) {
          throw new Error('origin or size differs from the row');
        }
        const line = checkpoint.extensions?.find((text) => text.startsWith(`${TOKEN_MAP_LINE_KEYWORD} `));
        const mapRoot = line === undefined ? undefined : parseTokenMapLine(line);
        verified.push({ size: checkpoint.size, root: checkpoint.rootHash, ...(mapRoot ? { mapRoot } : {}) });
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

interface StateRow {
  size: string;
  root: Buffer;
  frontier: Buffer;
  last_tx: string;
  last_id: string;
}

/** An entry's columns the database derives from its bytes (migration TypeLedgerEntryColumns). */
interface DerivedColumns {
  entry_seq: number;
  entry_type: string;
  entry_from: string | null;
  entry_to: string | null;
}

interface EntryRow extends DerivedColumns {
  tx: string;
  id: string;
  token_id: string;
  entry: Buffer;
}

/**
 * What the derived columns say that the entry does not, if anything. The ownership guard reads
 * those columns, so a row whose trigger was bypassed must not pass the audit.
 */
function derivedColumnsDisagree(row: DerivedColumns, entry: LedgerEntry): string | undefined {
  const fromEntry = {
    entry_seq: entry.seq,
    entry_type: entry.type,
    entry_from: entry.from,
    entry_to: entry.to,
  };
  const differing = (Object.keys(fromEntry) as (keyof DerivedColumns)[]).filter(
    (column) => row[column] !== fromEntry[column],
  );
  if (differing.length === 0) return undefined;
  return `columns ${differing.map((column) => `${column}=${row[column]}`).join(', ')} disagree with the entry's bytes`;
}

/** How far past a missing entry the audit looks for where the log resumes. */
const GAP_SEARCH = 1024;
/** Level-0 strips read per query. */
const STRIPS_PER_READ = 2048;

/** The leaf hashes the sequencer integrated (level-0 strips), read in order as the audit needs them. */
class StoredLeaves {
  private strips = new Map<number, Buffer>();
  private loadedTo = 0; // strips below this index are loaded (or absent)

  constructor(private readonly manager: EntityManager) {}

  async at(index: number): Promise<Uint8Array | undefined> {
    const stripIndex = Math.floor(index / STRIP_WIDTH);
    if (stripIndex >= this.loadedTo) await this.load(stripIndex);
    return nodeInStrip(this.strips.get(stripIndex), index % STRIP_WIDTH);
  }

  /** The first index from `from` on (within GAP_SEARCH) whose stored leaf hash is `hash`. */
  async find(hash: Buffer, from: number): Promise<number | undefined> {
    for (let index = from; index < from + GAP_SEARCH; index++) {
      const stored = await this.at(index);
      if (!stored) return undefined;
      if (hash.equals(stored)) return index;
    }
    return undefined;
  }

  private async load(stripIndex: number): Promise<void> {
    // The audit never goes back further than a gap search reaches ahead.
    const needed = stripIndex - GAP_SEARCH / STRIP_WIDTH - 1;
    for (const key of this.strips.keys()) if (key < needed) this.strips.delete(key);
    const rows: { idx: string; hashes: Buffer }[] = await this.manager.query(
      `SELECT idx, hashes FROM ledger_strips WHERE level = 0 AND idx >= $1 AND idx < $2`,
      [stripIndex, stripIndex + STRIPS_PER_READ],
    );
    for (const row of rows) this.strips.set(Number(row.idx), row.hashes);
    this.loadedTo = stripIndex + STRIPS_PER_READ;
  }
}
