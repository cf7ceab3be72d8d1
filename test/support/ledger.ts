import { DataSource } from 'typeorm';
import {
  addSignatures,
  parseCosignatureSignerKey,
  parseSignerKey,
  type LedgerEntry,
} from '../../libs/ledger/src/core/index.js';
import { CheckpointService, Sequencer } from '../../libs/ledger/src/index.js';
import { sql, type TestApp } from './app.js';
import { witnessKeys } from './keys.js';

/** The mint entry of token `tok-<n>`, for tests that write the ledger directly. */
export function mintEntry(n: number): LedgerEntry {
  return {
    v: 1,
    type: 'mint',
    token: `tok-${n}`,
    seq: 0,
    from: null,
    to: 'acct-1',
    at: '2026-01-01T00:00:00.000Z',
  };
}

/** Hashes as hex strings, so proofs compare readably. */
export function hexes(hashes: readonly Uint8Array[]): string[] {
  return hashes.map((hash) => Buffer.from(hash).toString('hex'));
}

/**
 * Integrates every entry written so far. An entry waits for every older transaction on the server
 * to end (other databases' too, e.g. a test running beside this one), so this polls the sequencer
 * until none is left rather than draining once. Returns how many it integrated.
 */
export async function integrateAll(
  sequencer: { drain(): Promise<number> },
  dataSource: { query(sql: string): Promise<{ pending: number }[]> },
  timeoutMs = 30_000,
): Promise<number> {
  let integrated = 0;
  for (const started = Date.now(); ;) {
    integrated += await sequencer.drain();
    const [{ pending }] = await dataSource.query(
      `SELECT count(*)::int AS pending FROM ledger_entries e JOIN ledger_state st ON st.id = 1
       WHERE (e.tx, e.id) > (st.last_tx, st.last_id)`,
    );
    if (pending === 0) return integrated;
    if (Date.now() - started > timeoutMs) throw new Error(`${pending} ledger entries still not integrated`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A token's ledger entries as stored, in log order (integrated or not yet). */
export async function storedEntriesOf(databaseUrl: string, tokenId: string): Promise<LedgerEntry[]> {
  const rows = await sql<{ e: LedgerEntry }>(
    databaseUrl,
    `SELECT convert_from(entry, 'UTF8')::jsonb AS e FROM ledger_entries WHERE token_id = $1 ORDER BY tx, id`,
    [tokenId],
  );
  return rows.map((row) => row.e);
}

/** Integrates, signs a checkpoint and has the allow-listed test witness co-sign it. */
export async function settleCheckpoint(testApp: TestApp): Promise<void> {
  await integrateAll(testApp.app.get(Sequencer), testApp.app.get(DataSource));
  const checkpoints = testApp.app.get(CheckpointService);
  const checkpoint = await checkpoints.checkpointIfGrown();
  if (!checkpoint || checkpoint.final) return;
  // cosignature/v1 once the log takes it from witnesses; a plain note signature before.
  const signers = [parseCosignatureSignerKey(witnessKeys.signerKey), parseSignerKey(witnessKeys.signerKey)];
  for (const signer of signers) {
    try {
      const outcome = await checkpoints.addCosignatures(
        checkpoint.size,
        addSignatures(checkpoint.note, [signer]),
      );
      if (outcome.final) return;
    } catch {
      // refused: try the other form
    }
  }
  throw new Error(`the witness could not co-sign checkpoint ${checkpoint.size}`);
}
