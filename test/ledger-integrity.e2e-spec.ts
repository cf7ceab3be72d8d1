import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import {
  AuditService,
  CheckpointService,
  IntegrityAlerts,
  LedgerIntegrityError,
  LedgerWriter,
  Sequencer,
} from '../libs/ledger/src/index.js';
import { integrateAll, mintEntry } from './support/ledger.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';

/** Hashes per stored strip row (strips.ts). */
const STRIP_WIDTH = 128;

/**
 * Finding 4 of issue 11: stored interior hashes and the stored frontier are audited, and a checkpoint
 * is signed only over a root recomputed from the leaves — a tampered tree is refused loudly.
 */
describe('ledger integrity (e2e): tampered stored nodes are found and never signed', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let dataSource: DataSource;
  let written = 0;

  const write = (count: number) =>
    dataSource.transaction((manager) =>
      testApp.app.get(LedgerWriter).append(
        manager,
        Array.from({ length: count }, () => mintEntry(written++)),
      ),
    );
  const integrate = async (count: number) =>
    expect(await integrateAll(testApp.app.get(Sequencer), dataSource)).toBe(count);
  /** The audit's findings about the stored tree (the test writes no token rows, so ownership is left out). */
  const treeFindings = async () => {
    const report = await testApp.app.get(AuditService).audit({ readOwnership: async function* () {} });
    return report.mismatches.filter((m) => m.kind !== 'missing-from-database');
  };
  /** Flips one byte of stored node `index` at `level`. */
  const tamperNode = (level: number, index: number) =>
    sql(
      scratch.url,
      `UPDATE ledger_strips SET hashes = set_byte(hashes, $3, get_byte(hashes, $3) # 255)
       WHERE level = $1 AND idx = $2`,
      [level, Math.floor(index / STRIP_WIDTH), (index % STRIP_WIDTH) * 32],
    );
  const checkpointCount = async () =>
    Number((await sql<{ n: string }>(scratch.url, `SELECT count(*) AS n FROM ledger_checkpoints`))[0]!.n);

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    testApp = await startTestApp({}, scratch.url, { jobs: false });
    dataSource = testApp.app.get(DataSource);
    await write(300);
    await integrate(300);
    expect((await testApp.app.get(CheckpointService).checkpointIfGrown())?.size).toBe(300);
  });
  afterAll(async () => {
    await testApp.close();
    await scratch.drop();
  });

  it('audit passes on the untouched tree', async () => {
    expect(await treeFindings()).toEqual([]);
  });

  it('audit reports a changed interior node that no root depends on any more', async () => {
    await tamperNode(1, 5);
    const findings = await treeFindings();
    expect(findings).toContainEqual(
      expect.objectContaining({ kind: 'stored-node-mismatch', detail: expect.stringContaining('1/5') }),
    );
    await tamperNode(1, 5); // flipped back
    expect(await treeFindings()).toEqual([]);
  });

  it('a node completed since the last checkpoint that was changed blocks signing, with an alert', async () => {
    await write(40);
    await integrate(40);
    // Leaves 300..339: level-1 node 160 (leaves 320, 321) was completed after the checkpoint at 300.
    await tamperNode(1, 160);
    const before = await checkpointCount();
    await expect(testApp.app.get(CheckpointService).checkpointIfGrown()).rejects.toBeInstanceOf(
      LedgerIntegrityError,
    );
    expect(await checkpointCount()).toBe(before);
    const alerts = await testApp.app.get(IntegrityAlerts).list();
    expect(alerts).toContainEqual(expect.objectContaining({ kind: 'checkpoint-refused' }));
    expect(await treeFindings()).toContainEqual(expect.objectContaining({ kind: 'stored-node-mismatch' }));

    await tamperNode(1, 160);
    expect((await testApp.app.get(CheckpointService).checkpointIfGrown())?.size).toBe(340);
  });

  it('a changed stored frontier is reported by audit and stops the sequencer and signing', async () => {
    await sql(
      scratch.url,
      `UPDATE ledger_state SET frontier = set_byte(frontier, 0, get_byte(frontier, 0) # 1)`,
    );
    expect(await treeFindings()).toContainEqual(
      expect.objectContaining({ kind: 'stored-node-mismatch', detail: expect.stringContaining('frontier') }),
    );
    await write(3);
    await expect(testApp.app.get(Sequencer).integrateBatch()).rejects.toBeInstanceOf(LedgerIntegrityError);
    const alerts = await testApp.app.get(IntegrityAlerts).list();
    expect(alerts).toContainEqual(expect.objectContaining({ kind: 'sequencer-refused' }));
    const [{ size }] = await sql<{ size: string }>(scratch.url, `SELECT size FROM ledger_state`);
    expect(Number(size)).toBe(340);

    await sql(
      scratch.url,
      `UPDATE ledger_state SET frontier = set_byte(frontier, 0, get_byte(frontier, 0) # 1)`,
    );
    await integrate(3);
    expect(await treeFindings()).toEqual([]);
  });
});
