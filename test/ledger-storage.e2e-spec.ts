import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { MemoryTree, leafHash, encodeEntry } from '../libs/ledger/src/core/index.js';
import { AuditService, LedgerWriter, ProofService, Sequencer } from '../libs/ledger/src/index.js';
import { hexes, mintEntry } from './support/ledger.js';
import { createScratchDatabase, startTestApp, type TestApp } from './support/app.js';

/**
 * The stored tree (strips, segments, settled (tx, id) order) against the in-memory reference, across
 * strip and segment boundaries and odd batch sizes; and the rule that only settled entries are integrated.
 */
describe('ledger storage (e2e): stored tree and log order on real PostgreSQL', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let dataSource: DataSource;
  let writer: LedgerWriter;
  let sequencer: Sequencer;
  let proofs: ProofService;
  const reference = new MemoryTree();
  let written = 0;

  const write = (count: number) =>
    dataSource.transaction(async (manager) => {
      const entries = Array.from({ length: count }, () => mintEntry(written++));
      await writer.append(manager, entries);
      return entries;
    });

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // The test drives the sequencer itself.
    testApp = await startTestApp({ LEDGER_SEQUENCE_INTERVAL_MS: '60000' }, scratch.url);
    dataSource = testApp.app.get(DataSource);
    writer = testApp.app.get(LedgerWriter);
    sequencer = testApp.app.get(Sequencer);
    proofs = testApp.app.get(ProofService);
  });
  afterAll(async () => {
    await testApp.close();
    await scratch.drop();
  });

  it('integrates an entry only once every older transaction has ended, in (tx, id) order', async () => {
    await sequencer.drain();
    const before = (await proofs.treeState()).size;
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      // An older transaction writes first but commits last; a rolled-back one leaves nothing.
      const early = mintEntry(written++);
      await writer.append(runner.manager, [early]);
      const [later] = await write(1);
      await dataSource
        .transaction(async (manager) => {
          await writer.append(manager, [mintEntry(written++)]);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(await sequencer.drain()).toBe(0);
      // The sequencer names what it waits for (the job logs it when the wait grows long): this
      // transaction, or an older one of a test running beside this one on the same server.
      const blocker = await sequencer.waitingBehind();
      expect(blocker).toMatchObject({ pid: expect.any(Number), ageMs: expect.any(Number) });
      await runner.commitTransaction();
      expect(await sequencer.drain()).toBe(2);
      const logged = await proofs.entries(before, before + 2);
      expect(logged.map((e) => e.entry.token)).toEqual([early.token, later.token]);
      for (const e of logged) reference.append(leafHash(e.bytes));
      expect(await sequencer.waitingBehind()).toBeUndefined();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('serves the same roots, proofs and entries as the reference tree across strip and segment boundaries', async () => {
    // Odd transaction and batch sizes, so batches start and end inside strips and segments.
    const checkpoints: number[] = [];
    for (const [count, limit] of [
      [1, 1],
      [300, 37],
      [250, 1000],
      [7, 3],
      [530, 200],
      [1, 1000],
    ]) {
      const entries = await write(count);
      for (const e of entries) reference.append(leafHash(encodeEntry(e)));
      for (let n = 0; n < count;) n += await sequencer.integrateBatch(limit);
      const state = await proofs.treeState();
      expect(state.size).toBe(reference.size);
      expect(Buffer.from(state.root).toString('hex')).toBe(Buffer.from(reference.root()).toString('hex'));
      checkpoints.push(state.size);
    }
    const size = reference.size;
    expect(size).toBeGreaterThan(1024);

    const sizes = [1, 2, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, size, ...checkpoints];
    for (const treeSize of sizes) {
      for (const index of [0, 1, treeSize >> 1, treeSize - 2, treeSize - 1].filter(
        (i) => i >= 0 && i < treeSize,
      )) {
        const { proof } = await proofs.inclusionProof(index, treeSize);
        expect(hexes(proof), `inclusion ${index} in ${treeSize}`).toEqual(
          hexes(reference.inclusionProof(index, treeSize)),
        );
      }
      for (const from of [1, 255, 256, 300].filter((f) => f <= treeSize)) {
        const { proof } = await proofs.consistencyProof(from, treeSize);
        expect(hexes(proof), `consistency ${from} → ${treeSize}`).toEqual(
          hexes(reference.consistencyProof(from, treeSize)),
        );
      }
    }

    // Indices agree whichever way an entry is found: by range, by token, by leaf hash.
    for (const index of [0, 255, 256, 257, 700, size - 1]) {
      const [stored] = await proofs.entries(index, index + 1);
      expect(stored.index).toBe(index);
      const [byToken] = await proofs.tokenEntries(stored.entry.token);
      expect(byToken.index).toBe(index);
      expect(await proofs.indexOfLeaf(stored.leafHash)).toBe(index);
    }
    const page = await proofs.entries(250, 520);
    expect(page.map((e) => e.index)).toEqual(Array.from({ length: 270 }, (_, i) => 250 + i));
    expect(await proofs.entries(size - 1, size + 10)).toHaveLength(1);
  });

  it('audit replay recomputes the same tree from the entries', async () => {
    const report = await testApp.app.get(AuditService).audit({ readOwnership: async function* () {} });
    const kinds = new Set(report.mismatches.map((m) => m.kind));
    // No token rows exist here, so only the log itself is judged.
    expect(kinds).toEqual(new Set(['missing-from-database']));
    expect(report).toMatchObject({ entries: reference.size, queued: 0 });
    expect(report.root).toBe(Buffer.from(reference.root()).toString('hex'));
  });
});
