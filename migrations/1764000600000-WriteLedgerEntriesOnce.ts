import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each ledger entry is written once, by the ownership change that records it; the sequencer no
 * longer copies it from a queue into the log. Log order is (tx, id): the writing transaction's id,
 * then a sequence. Every row of a transaction older than the oldest one still running is final, so
 * the sequencer integrates exactly those, in that order, and a later commit can never land before an
 * integrated entry. Log indices are positions in that order, found through one `ledger_segments`
 * row per 256 entries.
 *
 * Tree hashes move from one row per node to strips: row (level, k) holds the nodes k·128 … k·128+127
 * of one level, appended to as the log grows — a sixty-fourth of the rows to write, and a proof
 * still reads one row per level.
 *
 * Existing logs keep their indices (they become tx 1, in index order, queued entries tx 2).
 */
export class WriteLedgerEntriesOnce1764000600000 implements MigrationInterface {
  name = 'WriteLedgerEntriesOnce1764000600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE SEQUENCE ledger_entry_id_seq`);
    await db.query(`
      CREATE TABLE ledger_log (
        tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
        id bigint NOT NULL DEFAULT nextval('ledger_entry_id_seq'),
        token_id text NOT NULL,
        entry bytea NOT NULL,
        PRIMARY KEY (tx, id)
      )`);
    await db.query(`ALTER SEQUENCE ledger_entry_id_seq OWNED BY ledger_log.id`);
    await db.query(`
      INSERT INTO ledger_log (tx, id, token_id, entry)
      SELECT '1'::xid8, idx + 1, token_id, entry FROM ledger_entries
      UNION ALL
      SELECT '2'::xid8, id, token_id, entry FROM ledger_queue`);
    await db.query(
      `SELECT setval('ledger_entry_id_seq', (SELECT coalesce(max(id), 0) + 1 FROM ledger_log), false)`,
    );

    // Segment k starts at log index 256·k; it names the (tx, id) of that entry.
    await db.query(`
      CREATE TABLE ledger_segments (
        idx bigint PRIMARY KEY,
        first_tx xid8 NOT NULL,
        first_id bigint NOT NULL
      )`);
    await db.query(`CREATE UNIQUE INDEX ledger_segments_first_idx ON ledger_segments (first_tx, first_id)`);
    await db.query(`
      INSERT INTO ledger_segments (idx, first_tx, first_id)
      SELECT idx / 256, '1'::xid8, idx + 1 FROM ledger_entries WHERE idx % 256 = 0`);

    // At most 128 hashes (4 KiB) per row, kept inline (hashes do not compress; no TOAST detour).
    await db.query(`
      CREATE TABLE ledger_strips (
        level smallint NOT NULL,
        idx bigint NOT NULL,
        hashes bytea NOT NULL,
        PRIMARY KEY (level, idx)
      ) WITH (toast_tuple_target = 8160)`);
    await db.query(`
      INSERT INTO ledger_strips (level, idx, hashes)
      SELECT level, idx / 128, string_agg(hash, ''::bytea ORDER BY idx)
      FROM ledger_nodes GROUP BY level, idx / 128`);

    // The sequencer's position (last integrated entry) and the tree's right frontier, highest first.
    await db.query(`
      ALTER TABLE ledger_state
        ADD COLUMN last_tx xid8 NOT NULL DEFAULT '0',
        ADD COLUMN last_id bigint NOT NULL DEFAULT 0,
        ADD COLUMN frontier bytea NOT NULL DEFAULT ''::bytea`);
    await db.query(`
      UPDATE ledger_state s SET
        last_tx = CASE WHEN s.size > 0 THEN '1'::xid8 ELSE '0'::xid8 END,
        last_id = s.size,
        frontier = (
          SELECT coalesce(string_agg(n.hash, ''::bytea ORDER BY n.level DESC), ''::bytea)
          FROM generate_series(0, 62) AS g(level)
          JOIN ledger_nodes n ON n.level = g.level AND n.idx = (s.size >> g.level) - 1
          WHERE (s.size >> g.level) & 1 = 1
        )`);

    await db.query(`DROP TABLE ledger_entries, ledger_queue, ledger_nodes`);
    await db.query(`ALTER TABLE ledger_log RENAME TO ledger_entries`);
    await db.query(`ALTER INDEX ledger_log_pkey RENAME TO ledger_entries_pkey`);
    // Equality lookups only, so hash indexes: much cheaper to insert into than B-trees here.
    await db.query(`CREATE INDEX ledger_entries_token_idx ON ledger_entries USING hash (token_id)`);
    await db.query(
      `CREATE INDEX ledger_entries_leaf_hash_idx ON ledger_entries USING hash ((sha256('\\x00'::bytea || entry)))`,
    );

    // For operators and tests: the integrated log with its indices (scans the log; not for hot paths).
    await db.query(`
      CREATE VIEW ledger_log AS
      SELECT row_number() OVER (ORDER BY e.tx, e.id) - 1 AS idx, e.tx, e.id, e.token_id, e.entry,
        sha256('\\x00'::bytea || e.entry) AS leaf_hash
      FROM ledger_entries e JOIN ledger_state s ON s.id = 1
      WHERE (e.tx, e.id) <= (s.last_tx, s.last_id)`);
  }

  async down(): Promise<void> {
    // The per-node table cannot be rebuilt in SQL: its interior hashes would have to be recomputed.
    throw new Error('WriteLedgerEntriesOnce cannot be reverted; restore a backup taken before it instead');
  }
}
