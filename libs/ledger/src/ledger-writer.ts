import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '#database';
import { encodeEntryText, type LedgerEntry } from './core/index.js';

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
 * its entry commit or roll back together. Each entry is written once, keyed by its transaction and a
 * sequence; the sequencer gives settled entries their log indices in batches (sequencer.ts), so
 * concurrent writers never contend on one counter row.
 */
@Injectable()
export class LedgerWriter {
  /** Writes entries (validated and canonically encoded) in `manager`'s transaction. */
  async append(manager: EntityManager, entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await manager.query(`INSERT INTO ledger_entries ${rowsFrom(1)}`, encodedColumns(entries));
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
       INSERT INTO ledger_entries ${rowsFrom(n + 1)}`,
      [...change.values, ...encodedColumns(entries)],
    );
  }
}

/**
 * Token ids, encoded entries and each entry's seq, type, from and to (the columns the ownership
 * check reads) as newline-separated texts (none can contain a newline): far cheaper to send than
 * arrays, whose every element the driver would quote and hex-escape. A missing from/to is empty.
 */
function encodedColumns(entries: readonly LedgerEntry[]): string[] {
  const column = (value: (entry: LedgerEntry) => string | number | null) =>
    entries.map((entry) => value(entry) ?? '').join('\n');
  return [
    column((entry) => entry.token),
    entries.map(encodeEntryText).join('\n'),
    column((entry) => entry.seq),
    column((entry) => entry.type),
    column((entry) => entry.from),
    column((entry) => entry.to),
  ];
}

/** SQL: the rows of `encodedColumns`, given as parameters $first … $first+5. */
function rowsFrom(first: number): string {
  const lines = (offset: number) => `string_to_array($${first + offset}, E'\\n')`;
  return `(token_id, entry, entry_seq, entry_type, entry_from, entry_to)
    SELECT token, convert_to(entry, 'UTF8'), seq::integer, type, nullif(from_, ''), nullif(to_, '')
    FROM unnest(${[0, 1, 2, 3, 4, 5].map(lines).join(', ')}) AS t(token, entry, seq, type, from_, to_)`;
}
