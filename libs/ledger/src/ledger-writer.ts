import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { encodeEntry, type LedgerEntry } from './core/index.js';

/**
 * Appends ownership events to the ledger inside the caller's transaction, so an ownership change and
 * its entry commit or roll back together. Entries are queued; the sequencer gives them log indices
 * in batches, so concurrent writers never contend on one counter row.
 */
@Injectable()
export class LedgerWriter {
  /** Queues entries (validated and canonically encoded) in `manager`'s transaction. */
  async append(manager: EntityManager, entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const encoded = entries.map((entry) => Buffer.from(encodeEntry(entry)));
    await manager.query(
      `INSERT INTO ledger_queue (token_id, entry) SELECT * FROM unnest($1::text[], $2::bytea[])`,
      [entries.map((entry) => entry.token), encoded],
    );
  }
}
