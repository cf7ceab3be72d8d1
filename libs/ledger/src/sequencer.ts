import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CompactRange, frontierNodeIds, leafHash, requireNode } from './core/index.js';
import { loadNodes, loadTreeState } from './tree-store.js';

/**
 * Integrates queued entries into the Merkle tree, one writer at a time (the ledger_state row lock):
 * assigns the next indices, stores each entry with its leaf hash, every new perfect-subtree hash and
 * the new root — all in one transaction.
 */
@Injectable()
export class Sequencer {
  constructor(private readonly dataSource: DataSource) {}

  /** Integrates up to `limit` queued entries; returns how many. */
  async integrateBatch(limit = 20_000): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const state = await loadTreeState(manager, true);
      const queued: { id: string; token_id: string; entry: Buffer }[] = await manager.query(
        `SELECT id, token_id, entry FROM ledger_queue ORDER BY id LIMIT $1`,
        [limit],
      );
      if (queued.length === 0) return 0;
      const frontierIds = frontierNodeIds(state.size);
      const lookup = await loadNodes(manager, frontierIds);
      const tree = CompactRange.fromFrontier(
        state.size,
        frontierIds.map((id) => requireNode(lookup, id)),
      );
      const leafHashes: Buffer[] = [];
      const levels: number[] = [];
      const indices: number[] = [];
      const hashes: Buffer[] = [];
      for (const row of queued) {
        const hash = leafHash(row.entry);
        leafHashes.push(Buffer.from(hash));
        tree.append(hash, (id, nodeHash) => {
          levels.push(id.level);
          indices.push(id.index);
          hashes.push(Buffer.from(nodeHash));
        });
      }
      await manager.query(
        `INSERT INTO ledger_entries (idx, token_id, leaf_hash, entry)
         SELECT $1::bigint + ord - 1, token_id, leaf_hash, entry
         FROM unnest($2::text[], $3::bytea[], $4::bytea[]) WITH ORDINALITY AS t(token_id, leaf_hash, entry, ord)`,
        [state.size, queued.map((r) => r.token_id), leafHashes, queued.map((r) => r.entry)],
      );
      await manager.query(
        `INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
        [levels, indices, hashes],
      );
      await manager.query(`DELETE FROM ledger_queue WHERE id = ANY($1::bigint[])`, [queued.map((r) => r.id)]);
      await manager.query(`UPDATE ledger_state SET size = $1, root = $2 WHERE id = 1`, [
        tree.size,
        Buffer.from(tree.root()),
      ]);
      return queued.length;
    });
  }

  /** Integrates everything queued so far. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.integrateBatch(); n > 0; n = await this.integrateBatch()) total += n;
    return total;
  }
}
