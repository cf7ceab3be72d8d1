import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { HASH_SIZE, frontierNodeIds, nodeKey, type NodeId, type NodeLookup } from './core/index.js';
import { STRIP_WIDTH, appendLeaves, rootOfFrontier, splitHashes, type StripAppend } from './strips.js';

/**
 * The stored tree disagrees with itself (a node with its children, the frontier with the nodes, the
 * root with the frontier…): nothing may be integrated or signed over it. `problems` says what differs.
 */
export class LedgerIntegrityError extends Error {
  readonly code = 'ledger-integrity';

  constructor(readonly problems: string[]) {
    super(`ledger integrity: ${problems.join('; ')}`);
    this.name = 'LedgerIntegrityError';
  }
}

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

/** What the stored tree state claims: size, root and frontier (highest level first, concatenated). */
export interface StoredTreeState {
  size: number;
  root: Uint8Array;
  frontier: Uint8Array;
}

/**
 * Checks that the frontier stored in ledger_state is exactly the frontier nodes stored in
 * ledger_strips, and that the stored root is the root of those nodes. Returns what differs (empty
 * when all agree); the root it recomputed from the strips.
 */
export async function checkStoredFrontier(
  manager: EntityManager,
  state: StoredTreeState,
): Promise<{ problems: string[]; root: Buffer }> {
  const ids = frontierNodeIds(state.size);
  const lookup = await loadNodes(manager, ids);
  const problems: string[] = [];
  const nodes: Uint8Array[] = [];
  const stored = splitHashes(state.frontier);
  if (state.frontier.length !== ids.length * HASH_SIZE) {
    problems.push(
      `ledger_state.frontier holds ${state.frontier.length} bytes, a tree of ${state.size} leaves has ${ids.length} frontier nodes`,
    );
  }
  ids.forEach((id, i) => {
    const node = lookup(id);
    if (!node) {
      problems.push(`frontier node ${nodeKey(id)} is missing from ledger_strips`);
      return;
    }
    nodes.push(node);
    if (stored[i] && !Buffer.from(stored[i]).equals(node)) {
      problems.push(`ledger_state.frontier differs from ledger_strips at frontier node ${nodeKey(id)}`);
    }
  });
  const root = rootOfFrontier(nodes);
  if (nodes.length === ids.length && !root.equals(state.root)) {
    problems.push(
      `ledger_state.root ${toHexString(state.root)} is not the root of the stored frontier nodes (${root.toString('hex')})`,
    );
  }
  return { problems, root };
}

/** Leaves recomputed per read when checking stored nodes (4 MiB of leaf hashes). */
const CHECK_CHUNK = STRIP_WIDTH * 1024;

/**
 * Recomputes every node completed from leaf `from` up to `size` out of the stored leaf hashes
 * (level-0 strips), starting from the frontier at `from` (which must fold to `fromRoot`, e.g. a signed
 * checkpoint's root), and compares each with the stored strips; also the resulting frontier and root
 * with ledger_state. Returns what differs.
 */
export async function checkNodesSince(
  manager: EntityManager,
  state: StoredTreeState,
  from: number,
  fromRoot: Uint8Array | undefined,
): Promise<string[]> {
  const problems: string[] = [];
  const lookup = await loadNodes(manager, frontierNodeIds(from));
  const frontier: Uint8Array[] = [];
  for (const id of frontierNodeIds(from)) {
    const node = lookup(id);
    if (!node) return [`node ${nodeKey(id)} of the tree at size ${from} is missing from ledger_strips`];
    frontier.push(Buffer.from(node));
  }
  if (fromRoot && !rootOfFrontier(frontier).equals(fromRoot)) {
    problems.push(`the stored nodes of the tree at size ${from} do not give its signed root`);
  }
  for (let at = from; at < state.size;) {
    const end = Math.min(state.size, (Math.floor(at / CHECK_CHUNK) + 1) * CHECK_CHUNK);
    const leaves = await storedLeaves(manager, at, end);
    if (leaves.length !== (end - at) * HASH_SIZE) {
      problems.push(`leaf hashes ${at}..${end - 1} are missing from ledger_strips`);
      return problems;
    }
    problems.push(...(await compareWithStored(manager, appendLeaves(frontier, at, leaves), at)));
    at = end;
  }
  const recomputed = rootOfFrontier(frontier);
  if (!Buffer.concat(frontier).equals(state.frontier)) {
    problems.push(`ledger_state.frontier differs from the frontier recomputed from the leaf hashes`);
  }
  if (!recomputed.equals(state.root)) {
    problems.push(
      `ledger_state.root ${toHexString(state.root)} differs from the root recomputed from the leaf hashes (${recomputed.toString('hex')})`,
    );
  }
  return problems;
}

/** The stored leaf hashes [from, to), concatenated (shorter when some are missing). */
async function storedLeaves(manager: EntityManager, from: number, to: number): Promise<Buffer> {
  const rows: { idx: string; hashes: Buffer }[] = await manager.query(
    `SELECT idx, hashes FROM ledger_strips WHERE level = 0 AND idx >= $1 AND idx <= $2 ORDER BY idx`,
    [Math.floor(from / STRIP_WIDTH), Math.floor((to - 1) / STRIP_WIDTH)],
  );
  const first = Math.floor(from / STRIP_WIDTH);
  if (rows.some((row, i) => Number(row.idx) !== first + i)) return Buffer.alloc(0);
  const all = Buffer.concat(rows.map((row) => row.hashes));
  const start = (from - first * STRIP_WIDTH) * HASH_SIZE;
  return all.subarray(start, Math.min(all.length, start + (to - from) * HASH_SIZE));
}

/**
 * Compares recomputed strip appends (appendLeaves for leaves from `size` on) with the stored strips,
 * above level 0; one problem per strip that differs, naming its first differing node.
 */
export async function compareWithStored(
  manager: EntityManager,
  appends: readonly StripAppend[],
  size: number,
): Promise<string[]> {
  const upper = appends.filter((append) => append.level > 0);
  if (upper.length === 0) return [];
  const rows: { level: number; idx: string; hashes: Buffer }[] = await manager.query(
    `SELECT t.level, t.idx, t.hashes FROM unnest($1::smallint[], $2::bigint[]) AS want(level, idx)
     JOIN ledger_strips t ON t.level = want.level AND t.idx = want.idx`,
    [upper.map((append) => append.level), upper.map((append) => append.index)],
  );
  const stored = new Map(rows.map((row) => [`${row.level}/${row.idx}`, row.hashes]));
  const problems: string[] = [];
  // Nodes of a level complete in index order: the first one these leaves complete follows the
  // floor(size / 2^level) completed before them.
  const next = new Map<number, number>();
  for (const append of upper) {
    const first =
      next.get(append.level) ?? Math.max(append.index * STRIP_WIDTH, Math.floor(size / 2 ** append.level));
    const count = append.hashes.length / HASH_SIZE;
    next.set(append.level, first + count);
    const strip = stored.get(`${append.level}/${append.index}`);
    const offset = (first - append.index * STRIP_WIDTH) * HASH_SIZE;
    const have = strip?.subarray(offset, offset + append.hashes.length);
    if (have && have.equals(append.hashes)) continue;
    let bad = 0;
    while (
      have &&
      bad < count &&
      have
        .subarray(bad * HASH_SIZE, (bad + 1) * HASH_SIZE)
        .equals(append.hashes.subarray(bad * HASH_SIZE, (bad + 1) * HASH_SIZE))
    )
      bad++;
    problems.push(
      have && have.length === append.hashes.length
        ? `stored node ${append.level}/${first + bad} is not the hash of its two children`
        : `nodes ${append.level}/${first}..${first + count - 1} are missing from ledger_strips`,
    );
  }
  return problems;
}

/**
 * The tree state to sign, checked: the root is recomputed from stored node hashes — the frontier
 * nodes in ledger_strips, and every node completed since the newest stored checkpoint recomputed
 * from the leaf hashes — and must equal ledger_state's root and frontier. Throws
 * LedgerIntegrityError otherwise. Locks ledger_state (FOR UPDATE) for the caller's transaction.
 */
export async function readStateForSigning(
  manager: EntityManager,
): Promise<{ size: number; root: Uint8Array }> {
  const [row]: { size: string; root: Buffer; frontier: Buffer }[] = await manager.query(
    `SELECT size, root, frontier FROM ledger_state WHERE id = 1 FOR UPDATE`,
  );
  const state = { size: Number(row.size), root: row.root, frontier: row.frontier };
  const { problems } = await checkStoredFrontier(manager, state);
  const [last]: { size: string; root: Buffer }[] = await manager.query(
    `SELECT size, root FROM ledger_checkpoints WHERE size <= $1 ORDER BY size DESC LIMIT 1`,
    [state.size],
  );
  problems.push(...(await checkNodesSince(manager, state, last ? Number(last.size) : 0, last?.root)));
  if (problems.length > 0) throw new LedgerIntegrityError([...new Set(problems)]);
  return { size: state.size, root: new Uint8Array(row.root) };
}

const toHexString = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
