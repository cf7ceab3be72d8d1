import type { EntityManager } from 'typeorm';
import { nodeKey, type NodeId, type NodeLookup } from './core/index.js';

/** Reads stored perfect-subtree hashes: all nodes a proof needs in one query. */
export async function loadNodes(manager: EntityManager, ids: readonly NodeId[]): Promise<NodeLookup> {
  const found = new Map<string, Uint8Array>();
  if (ids.length > 0) {
    const rows: { level: number; idx: string; hash: Buffer }[] = await manager.query(
      `SELECT n.level, n.idx, n.hash FROM ledger_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) USING (level, idx)`,
      [ids.map((id) => id.level), ids.map((id) => id.index)],
    );
    for (const row of rows)
      found.set(nodeKey({ level: row.level, index: Number(row.idx) }), new Uint8Array(row.hash));
  }
  return (id) => found.get(nodeKey(id));
}

/** The integrated log's current size and root. */
export async function loadTreeState(
  manager: EntityManager,
  forUpdate = false,
): Promise<{ size: number; root: Uint8Array }> {
  const [row]: { size: string; root: Buffer }[] = await manager.query(
    `SELECT size, root FROM ledger_state WHERE id = 1${forUpdate ? ' FOR UPDATE' : ''}`,
  );
  return { size: Number(row.size), root: new Uint8Array(row.root) };
}
