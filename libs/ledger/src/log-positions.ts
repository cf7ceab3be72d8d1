/**
 * Log indices of stored entries. The log is ledger_entries in (tx, id) order up to the sequencer's
 * position; an entry's index is its position there. Segment k names the entry at index 256·k, so an
 * index is found by walking at most 255 primary-key entries from its segment's start.
 */
export const SEGMENT_SIZE = 256;

/** SQL: `pos.idx`, the log index of the integrated entry row aliased `e` (a lateral join). */
export const INDEX_OF_ENTRY = `
  CROSS JOIN LATERAL (
    SELECT s.idx * ${SEGMENT_SIZE} + (
      SELECT count(*) FROM ledger_entries p
      WHERE (p.tx, p.id) >= (s.first_tx, s.first_id) AND (p.tx, p.id) < (e.tx, e.id)
    ) AS idx
    FROM ledger_segments s WHERE (s.first_tx, s.first_id) <= (e.tx, e.id)
    ORDER BY s.first_tx DESC, s.first_id DESC LIMIT 1
  ) pos`;

/** SQL condition: the entry row aliased `e` is integrated (needs `ledger_state st`). */
export const INTEGRATED = `(e.tx, e.id) <= (st.last_tx, st.last_id)`;

/**
 * SQL: integrated entries from index $1 on, at most $2 of them, in log order (columns tx, id,
 * token_id, entry). Reads from the segment holding $1.
 */
export const ENTRIES_FROM_INDEX = `
  SELECT e.tx, e.id, e.token_id, e.entry
  FROM ledger_segments s JOIN ledger_state st ON st.id = 1
  CROSS JOIN LATERAL (
    SELECT tx, id, token_id, entry FROM ledger_entries e
    WHERE (e.tx, e.id) >= (s.first_tx, s.first_id) AND ${INTEGRATED}
    ORDER BY e.tx, e.id OFFSET $1::bigint % ${SEGMENT_SIZE} LIMIT $2
  ) e
  WHERE s.idx = $1::bigint / ${SEGMENT_SIZE}
  ORDER BY e.tx, e.id`;
