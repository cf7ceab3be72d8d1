import { hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HASH_SIZE, frontierNodeIds, requireNode } from './core/index.js';
import { loadNodes, loadTreeState } from './tree-store.js';

/**
 * Integrates queued entries into the Merkle tree, one writer at a time (the ledger_state row lock):
 * assigns the next indices, stores each entry with its leaf hash, every new perfect-subtree hash and
 * the new root — all in one transaction.
 *
 * Entry bytes never leave the database: one statement moves a batch from the queue into the log and
 * hashes the leaves there (PostgreSQL's sha256, i.e. SHA-256(0x00 ‖ entry) as RFC 9162 defines it);
 * only the 32-byte leaf hashes come back to build the interior nodes. Those are hashed with node:crypto
 * (the core's hasher is pure JS to stay browser-safe, and slower); audit replay recomputes the whole
 * tree independently with the core's CompactRange and checks it against every checkpoint.
 */
@Injectable()
export class Sequencer {
  constructor(private readonly dataSource: DataSource) {}

  /** Integrates up to `limit` queued entries; returns how many. */
  async integrateBatch(limit = 20_000): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const state = await loadTreeState(manager, true);
      const leaves = await moveQueuedEntries(manager, state.size, limit);
      if (leaves.length === 0) return 0;
      const frontierIds = frontierNodeIds(state.size);
      const lookup = await loadNodes(manager, frontierIds);
      const frontier = frontierIds.map((id) => requireNode(lookup, id));
      const nodes = appendLeaves(frontier, state.size, leaves);
      if (nodes.levels.length > 0) {
        await manager.query(
          `INSERT INTO ledger_nodes (level, idx, hash)
           SELECT level, idx, substring($3::bytea FROM ord::int * 32 - 31 FOR 32)
           FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS t(level, idx, ord)`,
          [nodes.levels, nodes.indices, Buffer.concat(nodes.hashes)],
        );
      }
      await manager.query(`UPDATE ledger_state SET size = $1, root = $2 WHERE id = 1`, [
        state.size + leaves.length / HASH_SIZE,
        foldRight(frontier),
      ]);
      return leaves.length / HASH_SIZE;
    });
  }

  /** Integrates everything queued so far. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.integrateBatch(); n > 0; n = await this.integrateBatch()) total += n;
    return total;
  }
}

/**
 * Moves the oldest queued entries (up to `limit`, in queue order) into ledger_entries from index
 * `size` on, and stores their leaf hashes as level-0 nodes; returns the leaf hashes, concatenated.
 */
async function moveQueuedEntries(manager: EntityManager, size: number, limit: number): Promise<Buffer> {
  // Sorting a large batch's leaf hashes must not spill to disk.
  await manager.query(`SET LOCAL work_mem = '64MB'`);
  // The DELETE sees the same snapshot as the batch, so `id <= last` removes exactly the rows the batch
  // read; an entry with a lower id that commits later is simply left for the next batch.
  const [{ leaves }]: { leaves: Buffer | null }[] = await manager.query(
    `WITH batch AS (
       SELECT id, token_id, entry, $1::bigint + row_number() OVER (ORDER BY id) - 1 AS idx
       FROM (SELECT id, token_id, entry FROM ledger_queue ORDER BY id LIMIT $2) AS oldest
     ), dequeued AS (
       DELETE FROM ledger_queue WHERE id <= (SELECT max(id) FROM batch)
     ), entries AS (
       INSERT INTO ledger_entries (idx, token_id, leaf_hash, entry)
       SELECT idx, token_id, sha256('\\x00'::bytea || entry), entry FROM batch
       RETURNING idx, leaf_hash
     ), leaves AS (
       INSERT INTO ledger_nodes (level, idx, hash) SELECT 0, idx, leaf_hash FROM entries
     )
     SELECT string_agg(leaf_hash, ''::bytea ORDER BY idx) AS leaves FROM entries`,
    [size, limit],
  );
  return leaves ?? Buffer.alloc(0);
}

/** RFC 9162 interior node hash SHA-256(0x01 ‖ left ‖ right), as the core computes it. */
function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + HASH_SIZE);
  return hash('sha256', input, 'buffer');
}

/**
 * Appends leaf hashes to the frontier (in place, highest level first) and returns every perfect node
 * above level 0 this completes — the same nodes the core's CompactRange.append reports.
 */
function appendLeaves(frontier: Uint8Array[], size: number, leaves: Buffer) {
  const levels: number[] = [];
  const indices: number[] = [];
  const hashes: Uint8Array[] = [];
  for (let offset = 0, index = size; offset < leaves.length; offset += HASH_SIZE, index++) {
    let node: Uint8Array = leaves.subarray(offset, offset + HASH_SIZE);
    // Each set low bit of the index is a left sibling on the frontier waiting for this subtree.
    for (let level = 1, at = index; at % 2 === 1; level++) {
      node = nodeHash(frontier.pop()!, node);
      at = (at - 1) / 2;
      levels.push(level);
      indices.push(at);
      hashes.push(node);
    }
    frontier.push(node);
  }
  return { levels, indices, hashes };
}

/** Root of a frontier (highest level first): its hashes folded right to left. */
function foldRight(frontier: readonly Uint8Array[]): Buffer {
  let root: Buffer = Buffer.from(frontier[frontier.length - 1]!);
  for (let i = frontier.length - 2; i >= 0; i--) root = nodeHash(frontier[i]!, root);
  return root;
}
