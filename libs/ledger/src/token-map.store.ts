import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ENTRIES_FROM_INDEX } from './log-positions.js';
import { TokenMapTree, mapKeyOf, type MapLeaf } from './token-map-tree.js';
import { LedgerIntegrityError } from './tree-store.js';

/** A token's map proof at one log size: its latest entry below it and the siblings, top-down. */
export interface TokenMapProofAt {
  index: number;
  leafHash: Uint8Array;
  siblings: Uint8Array[];
}

/** Maps kept for proofs at older sizes (a co-signed checkpoint's), besides the live one. */
const KEPT_SNAPSHOTS = 2;

/**
 * The token-heads map, derived from the log alone: nothing about it is stored but the root each
 * checkpoint commits to. It is hashed only where a root is needed — when a checkpoint is signed,
 * and for proofs — never per sequencer batch (a batch of new tokens would rehash most of the tree):
 * the live map (TokenMapTree, in memory) is brought forward with the entries integrated since its
 * size, or rebuilt from the whole log after a restart.
 */
@Injectable()
export class TokenMapStore {
  private live: TokenMapTree | undefined;
  private readonly snapshots = new Map<number, TokenMapTree>();
  /** One map operation at a time: bringing the live map forward mutates it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** The map at log size `size` (integrated, committed), its root recomputed from the log. */
  async mapAt(size: number, manager: EntityManager = this.dataSource.manager): Promise<TokenMapTree> {
    return this.serially(() => this.mapAtNow(size, manager));
  }

  /**
   * The proof that a token's latest entry below `size` is (index, leafHash), against `root` — the
   * root a signed checkpoint of that size commits to; undefined when the token has no entry below
   * `size`. LedgerIntegrityError when the log no longer gives that root.
   */
  async proof(tokenId: string, size: number, root: Uint8Array): Promise<TokenMapProofAt | undefined> {
    const map = await this.mapAt(size);
    if (!map.root.equals(root)) {
      throw new LedgerIntegrityError([
        `the token map rebuilt from the log's first ${size} entries (${hex(map.root)}) is not the one checkpoint ${size} commits to (${hex(root)})`,
      ]);
    }
    const proof = map.proof(mapKeyOf(tokenId));
    return proof && { index: proof.index, leafHash: proof.leafHash, siblings: proof.siblings };
  }

  private async mapAtNow(size: number, manager: EntityManager): Promise<TokenMapTree> {
    const live = this.live;
    if (live?.size === size) return live;
    const kept = this.snapshots.get(size);
    if (kept) return kept;
    if (live && live.size < size) {
      // Forward: only the tokens touched since the live map's size are rehashed.
      const added = await loadLeaves(manager, live.size, size);
      this.live = live.update(added, size);
      return this.live;
    }
    const map = TokenMapTree.build(await loadLeaves(manager, 0, size), size);
    if (!live) {
      this.live = map;
    } else {
      // An older size (a co-signed checkpoint behind the newest): kept beside the live map.
      this.snapshots.set(size, map);
      for (const old of this.snapshots.keys()) {
        if (this.snapshots.size <= KEPT_SNAPSHOTS) break;
        this.snapshots.delete(old);
      }
    }
    return map;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Entries read per query when (re)building the map. */
const CHUNK = 100_000;

/**
 * Each token's latest entry with from ≤ index < to, from the log itself: its index and leaf hash
 * (hashed by PostgreSQL from the entry bytes), as map leaves.
 */
async function loadLeaves(manager: EntityManager, from: number, to: number): Promise<MapLeaf[]> {
  const latest = new Map<string, { index: number; leafHash: Buffer }>();
  for (let at = from; at < to; at += CHUNK) {
    const count = Math.min(CHUNK, to - at);
    const rows: { token_id: string; leaf_hash: Buffer }[] = await manager.query(
      `SELECT e.token_id, sha256('\\x00'::bytea || e.entry) AS leaf_hash FROM (${ENTRIES_FROM_INDEX}) e
       ORDER BY e.tx, e.id`,
      [at, count],
    );
    if (rows.length !== count) {
      throw new LedgerIntegrityError([`log entries ${at}..${at + count - 1} are missing`]);
    }
    rows.forEach((row, i) => latest.set(row.token_id, { index: at + i, leafHash: row.leaf_hash }));
  }
  return [...latest].map(([tokenId, { index, leafHash }]) => ({ key: mapKeyOf(tokenId), index, leafHash }));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
