import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import {
  buildTokenMapRoot,
  parseTokenMapLine,
  verifyTokenMapProof,
  type LedgerEntry,
} from '../libs/ledger/src/core/index.js';
import {
  CheckpointService,
  LedgerWriter,
  ProofService,
  Sequencer,
  TokenMapStore,
  loadTreeState,
} from '../libs/ledger/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';

/**
 * The token-heads map, derived from the log; checkpoints commit to its root. Its root
 * at each size is the core's reference root over the log, and every token's proof at a checkpoint
 * size verifies against the root that checkpoint commits to.
 */
describe('ledger token map (e2e): map root and proofs on real PostgreSQL', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let dataSource: DataSource;
  let writer: LedgerWriter;
  let sequencer: Sequencer;
  let proofs: ProofService;
  let maps: TokenMapStore;
  let checkpoints: CheckpointService;
  /** Per token: its next seq and holder. */
  const tokens = new Map<string, { seq: number; owner: string }>();
  let minted = 0;

  const mint = (): LedgerEntry => {
    const token = `tok-map-${minted++}`;
    tokens.set(token, { seq: 1, owner: 'acct-1' });
    return { v: 1, type: 'mint', token, seq: 0, from: null, to: 'acct-1', at: '2026-01-01T00:00:00.000Z' };
  };
  const transfer = (token: string): LedgerEntry => {
    const state = tokens.get(token)!;
    const to = state.owner === 'acct-1' ? 'acct-2' : 'acct-1';
    const entry: LedgerEntry = {
      v: 1,
      type: 'transfer',
      token,
      seq: state.seq,
      from: state.owner,
      to,
      at: '2026-01-02T00:00:00.000Z',
    };
    tokens.set(token, { seq: state.seq + 1, owner: to });
    return entry;
  };
  const write = (entries: LedgerEntry[]) =>
    dataSource.transaction((manager) => writer.append(manager, entries));

  /** The map over the log's first `size` entries, by the core's reference build. */
  const referenceRoot = async (size: number) =>
    buildTokenMapRoot(
      (await proofs.entries(0, size)).map((e) => ({
        tokenId: e.entry.token,
        index: e.index,
        leafHash: e.leafHash,
      })),
    );

  /** Checks every token's proof at `size` against the map's root there; returns that root. */
  const checkProofsAt = async (size: number, store = maps) => {
    const root = (await store.mapAt(size)).root;
    expect(Buffer.from(root).toString('hex')).toBe(Buffer.from(await referenceRoot(size)).toString('hex'));
    const log = await proofs.entries(0, size);
    const latest = new Map(log.map((e) => [e.entry.token, e]));
    for (const [token, entry] of latest) {
      const proof = (await store.proof(token, size, root))!;
      expect(proof.index, token).toBe(entry.index);
      expect(Buffer.from(proof.leafHash).equals(Buffer.from(entry.leafHash))).toBe(true);
      expect(verifyTokenMapProof(root, token, proof.index, proof.leafHash, proof.siblings), token).toBe(true);
      // Not for any other entry of the token, nor against another size's root.
      const older = log.filter((e) => e.entry.token === token && e.index < entry.index).at(-1);
      if (older) {
        expect(verifyTokenMapProof(root, token, older.index, older.leafHash, proof.siblings)).toBe(false);
      }
    }
    expect(await store.proof('tok-never-minted', size, root)).toBeUndefined();
    return root;
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    testApp = await startTestApp({}, scratch.url, { jobs: false });
    dataSource = testApp.app.get(DataSource);
    writer = testApp.app.get(LedgerWriter);
    sequencer = testApp.app.get(Sequencer);
    proofs = testApp.app.get(ProofService);
    maps = testApp.app.get(TokenMapStore);
    checkpoints = testApp.app.get(CheckpointService);
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('starts empty: the map root at size 0 is 32 zero bytes', async () => {
    const state = await loadTreeState(dataSource.manager);
    expect(state.size).toBe(0);
    expect((await maps.mapAt(0)).root.toString('hex')).toBe('00'.repeat(32));
  });

  it('after mints and transfers, proofs at each checkpoint verify, also at older checkpoints', async () => {
    const sizes: number[] = [];
    await write(Array.from({ length: 40 }, mint));
    await sequencer.drain();
    // Transfers of some tokens, several in one batch, and new mints beside them.
    await write([transfer('tok-map-3'), transfer('tok-map-3'), transfer('tok-map-17'), mint(), mint()]);
    await write([transfer('tok-map-3'), transfer('tok-map-0')]);
    await sequencer.drain();
    const first = await checkpoints.checkpointIfGrown();
    sizes.push(first!.size);
    for (let round = 0; round < 3; round++) {
      await write([
        ...Array.from({ length: 7 }, mint),
        ...['tok-map-1', 'tok-map-3', `tok-map-${10 + round}`].map(transfer),
      ]);
      // Small batches: the map is updated many times between checkpoints.
      while ((await sequencer.integrateBatch(4)) > 0);
      sizes.push((await checkpoints.checkpointIfGrown())!.size);
    }
    const state = await loadTreeState(dataSource.manager);
    expect(state.size).toBe(sizes.at(-1));
    const roots = new Set<string>();
    for (const size of sizes) {
      const root = await checkProofsAt(size);
      roots.add(Buffer.from(root).toString('hex'));
      // When the checkpoint commits to a map root, it is the stored one.
      const [{ note }] = await sql<{ note: string }>(
        scratch.url,
        `SELECT note FROM ledger_checkpoints WHERE size = $1`,
        [size],
      );
      // The checkpoint commits to that root.
      const line = note.split('\n').find((text) => text.startsWith('heirloom-token-map '));
      expect(Buffer.from(parseTokenMapLine(line!)!).equals(Buffer.from(root))).toBe(true);
    }
    expect(roots.size).toBe(sizes.length);
    // The oldest checkpoint's proof of a token transferred since does not verify at the newest root.
    const old = (await maps.proof('tok-map-3', sizes[0]!, (await maps.mapAt(sizes[0]!)).root))!;
    const newest = (await maps.mapAt(sizes.at(-1)!)).root;
    expect(verifyTokenMapProof(newest, 'tok-map-3', old.index, old.leafHash, old.siblings)).toBe(false);
  });

  it('a restarted process rebuilds the map from the stored leaves and goes on', async () => {
    const restarted = await startTestApp({}, scratch.url, { jobs: false });
    try {
      await write([mint(), transfer('tok-map-5')]);
      expect(await restarted.app.get(Sequencer).drain()).toBe(2);
      const { size } = await loadTreeState(dataSource.manager);
      // This process's map is now behind the stored state: it rebuilds too.
      await write([transfer('tok-map-5')]);
      expect(await sequencer.drain()).toBe(1);
      await checkProofsAt(size + 1);
      const restartedMaps = restarted.app.get(TokenMapStore);
      const root = (await restartedMaps.mapAt(size)).root;
      expect((await restartedMaps.proof('tok-map-5', size, root))!.index).toBe(size - 1);
    } finally {
      await restarted.close();
    }
  });
});
