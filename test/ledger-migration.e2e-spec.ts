import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactRange, MemoryTree, encodeEntry, leafHash } from '../libs/ledger/src/core/index.js';
import { ProofService, Sequencer } from '../libs/ledger/src/index.js';
import { migrate } from '../libs/database/src/index.js';
import { schema } from '../apps/api/src/schema.js';
import { hexes, mintEntry } from './support/ledger.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';

const LOGGED = 700; // across segment (256) and strip (128) boundaries
const QUEUED = 3;

/**
 * WriteLedgerEntriesOnce on a log the previous schema wrote (entries with their index, one row per
 * tree node, a queue): the log keeps its indices, root and proofs, and the queued entries follow it.
 */
describe('ledger migration (e2e): a log written by the previous schema', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  const reference = new MemoryTree();
  const bytes = Array.from({ length: LOGGED + QUEUED }, (_, n) => Buffer.from(encodeEntry(mintEntry(n))));

  beforeAll(async () => {
    scratch = await createScratchDatabase('WriteLedgerEntriesOnce1764000600000');
    // The previous schema's rows: every perfect node, as its sequencer stored them.
    const nodes: { level: number; index: number; hash: Buffer }[] = [];
    const tree = CompactRange.empty();
    for (let n = 0; n < LOGGED; n++) {
      const leaf = leafHash(bytes[n]);
      reference.append(leaf);
      tree.append(leaf, (id, hash) =>
        nodes.push({ level: id.level, index: id.index, hash: Buffer.from(hash) }),
      );
    }
    await sql(
      scratch.url,
      `INSERT INTO ledger_entries (idx, token_id, leaf_hash, entry)
       SELECT i - 1, e.token, sha256('\\x00'::bytea || e.entry), e.entry
       FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS e(token, entry, i)`,
      [bytes.slice(0, LOGGED).map((_, n) => mintEntry(n).token), bytes.slice(0, LOGGED)],
    );
    await sql(
      scratch.url,
      `INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
    );
    await sql(scratch.url, `UPDATE ledger_state SET size = $1, root = $2`, [
      LOGGED,
      Buffer.from(tree.root()),
    ]);
    await sql(
      scratch.url,
      `INSERT INTO ledger_queue (token_id, entry) SELECT * FROM unnest($1::text[], $2::bytea[])`,
      [bytes.slice(LOGGED).map((_, i) => mintEntry(LOGGED + i).token), bytes.slice(LOGGED)],
    );

    await migrate(scratch.url, schema);
    testApp = await startTestApp({ LEDGER_SEQUENCE_INTERVAL_MS: '60000' }, scratch.url);
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch.drop();
  });

  it('keeps every entry at its index, the root, and the proofs', async () => {
    const proofs = testApp.app.get(ProofService);
    const state = await proofs.treeState();
    expect(state.size).toBe(LOGGED);
    expect(Buffer.from(state.root).equals(Buffer.from(reference.root()))).toBe(true);
    const logged = await proofs.entries(0, LOGGED);
    expect(logged.map((e) => e.index)).toEqual(Array.from({ length: LOGGED }, (_, n) => n));
    expect(logged.every((e, n) => Buffer.from(e.bytes).equals(bytes[n]))).toBe(true);
    for (const [index, size] of [
      [0, LOGGED],
      [255, 256],
      [256, 700],
      [699, 700],
      [300, 513],
    ]) {
      expect(hexes((await proofs.inclusionProof(index, size)).proof)).toEqual(
        hexes(reference.inclusionProof(index, size)),
      );
    }
    expect(hexes((await proofs.consistencyProof(129, LOGGED)).proof)).toEqual(
      hexes(reference.consistencyProof(129, LOGGED)),
    );
    expect(await proofs.indexOfLeaf(leafHash(bytes[500]))).toBe(500);
  });

  it('integrates the queued entries after the log, in queue order', async () => {
    const proofs = testApp.app.get(ProofService);
    const before = await proofs.treeState();
    expect(await testApp.app.get(Sequencer).drain()).toBe(QUEUED);
    for (const queued of bytes.slice(LOGGED)) reference.append(leafHash(queued));
    const after = await proofs.treeState();
    expect(after.size).toBe(LOGGED + QUEUED);
    expect(Buffer.from(after.root).equals(Buffer.from(reference.root()))).toBe(true);
    const { proof } = await proofs.consistencyProof(before.size, after.size);
    expect(hexes(proof)).toEqual(hexes(reference.consistencyProof(before.size)));
    const [first] = await proofs.entries(LOGGED, LOGGED + 1);
    expect(first.entry.token).toBe(mintEntry(LOGGED).token);
  });
});
