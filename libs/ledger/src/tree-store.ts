import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { HASH_SIZE, nodeKey, type NodeId, type NodeLookup } from './core/index.js';
import { STRIP_WIDTH } from './strips.js';

/** Reads the stored perfect-subtree hashes a proof needs, in one (prepared) query. */
export async function loadNodes(manager: EntityManager, ids: readonly NodeId[]): Promise<NodeLookup> {
  if (ids.length === 0) return () => undefined;
  const rows = await preparedQuery<NodeRow>(
    manager,
    'ledger:nodes',
    `SELECT want.level, want.idx, ${NODE_HASH} AS hash FROM ${WANTED_NODES}`,
    nodeParams(ids),
  );
  return toLookup(rows);
}

/**
 * The nodes of a proof planned for a given tree size together with the current size, in one round
 * trip; the caller rejects the proof if the log is smaller than the size it planned for.
 */
export async function loadNodesWithSize(
  manager: EntityManager,
  ids: readonly NodeId[],
): Promise<{ size: number; lookup: NodeLookup }> {
  // One row per stored node found, or a single row of nulls beside the size when none is.
  const rows = await preparedQuery<Nullable<NodeRow> & { size: string }>(
    manager,
    'ledger:nodes-with-size',
    `SELECT s.size, n.level, n.idx, n.hash FROM ledger_state s
     LEFT JOIN (SELECT want.level, want.idx, ${NODE_HASH} AS hash FROM ${WANTED_NODES}) AS n ON true
     WHERE s.id = 1`,
    nodeParams(ids),
  );
  const found = rows.filter((row): row is NodeRow & { size: string } => row.hash !== null);
  return { size: Number(rows[0].size), lookup: toLookup(found) };
}

/** SQL: the wanted nodes ($1 levels, $2 indices) joined to the strips that hold them (alias t). */
const WANTED_NODES = `unnest($1::smallint[], $2::bigint[]) AS want(level, idx)
  JOIN ledger_strips t ON t.level = want.level AND t.idx = want.idx / ${STRIP_WIDTH}
  WHERE length(t.hashes) >= (want.idx % ${STRIP_WIDTH} + 1) * ${HASH_SIZE}`;

/** SQL: a wanted node's 32 bytes, cut from its strip in the database (a proof needs ~20 of ~4 KiB rows). */
const NODE_HASH = `substring(t.hashes FROM ((want.idx % ${STRIP_WIDTH}) * ${HASH_SIZE} + 1)::int FOR ${HASH_SIZE})`;

interface NodeRow {
  level: number;
  idx: string;
  hash: Buffer;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

function nodeParams(ids: readonly NodeId[]): [number[], number[]] {
  return [ids.map((id) => id.level), ids.map((id) => id.index)];
}

function toLookup(rows: readonly NodeRow[]): NodeLookup {
  const found = new Map<string, Uint8Array>();
  for (const row of rows) {
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
