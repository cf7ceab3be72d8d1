import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { encodeEntry, type LedgerEntry } from './core/index.js';

/** A data-modifying statement to run in the same statement as the ledger append. */
export interface StatementWithEntries {
  /** A prepared-statement name unique across the app (see `preparedQuery`). */
  name: string;
  /** An `INSERT`/`UPDATE`/`DELETE` without `RETURNING`, with parameters `$1`…`$n` (n = values.length). */
  text: string;
  values: unknown[];
}

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
    await manager.query(
      `INSERT INTO ledger_queue (token_id, entry) SELECT * FROM unnest($1::text[], $2::bytea[])`,
      encodedColumns(entries),
    );
  }

  /**
   * `append`, in one statement (and one round trip) with `change`, the ownership update the entries
   * record; both run in `manager`'s transaction, as a prepared statement.
   */
  async appendWith(
    manager: EntityManager,
    change: StatementWithEntries,
    entries: readonly LedgerEntry[],
  ): Promise<void> {
    if (entries.length === 0) {
      await preparedQuery(manager, change.name, change.text, change.values);
      return;
    }
    const n = change.values.length;
    await preparedQuery(
      manager,
      `${change.name}+ledger`,
      `WITH change AS (${change.text})
       INSERT INTO ledger_queue (token_id, entry) SELECT * FROM unnest($${n + 1}::text[], $${n + 2}::bytea[])`,
      [...change.values, ...encodedColumns(entries)],
    );
  }
}

function encodedColumns(entries: readonly LedgerEntry[]): [string[], Buffer[]] {
  return [entries.map((entry) => entry.token), entries.map((entry) => Buffer.from(encodeEntry(entry)))];
}
