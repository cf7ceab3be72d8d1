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
    await manager.query(
      `INSERT INTO ledger_entries (token_id, entry) ${rowsFrom(1)}`,
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
       INSERT INTO ledger_entries (token_id, entry) ${rowsFrom(n + 1)}`,
      [...change.values, ...encodedColumns(entries)],
    );
  }
}

/**
 * Token ids and encoded entries as two newline-separated texts (neither can contain a newline): far
 * cheaper to send than arrays, whose every element the driver would quote and hex-escape.
 */
function encodedColumns(entries: readonly LedgerEntry[]): [string, string] {
  return [entries.map((entry) => entry.token).join('\n'), entries.map(encodeEntryText).join('\n')];
}

/** SQL: the rows of `encodedColumns`, given as parameters $first and $first+1. */
function rowsFrom(first: number): string {
  return `SELECT token, convert_to(entry, 'UTF8')
    FROM unnest(string_to_array($${first}, E'\\n'), string_to_array($${first + 1}, E'\\n')) AS t(token, entry)`;
}
