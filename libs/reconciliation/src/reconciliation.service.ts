import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { VIEW_NAMES, VIEWS, type ViewDefinition, type ViewName } from './views.js';

/** A view's figures: how many rows it checked, how many disagree, and the money involved per currency. */
export interface ReconciliationSummary {
  view: ViewName;
  clean: boolean;
  checked: number;
  findings: number;
  byKind: { kind: string; count: number }[];
  totals: { currency: string; checkedMinor: number; findingsMinor: number }[];
}

/** A finding (or a checked row) as JSON and CSV show it: the view's columns, integers as numbers. */
export type FindingRow = Record<string, string | number | null>;

interface SummaryRow {
  /** 1 when the row sums over every currency (GROUPING), 0 when it is one currency's. */
  all_currencies: number;
  /** 1 when the row sums over every kind of finding, 0 when it is one kind's. */
  all_findings: number;
  currency: string | null;
  finding: string | null;
  checked: string;
  findings: string;
  checked_minor: string | null;
  findings_minor: string | null;
}

/** Rows read from the cursor per round trip while a CSV streams. */
const CSV_FETCH_ROWS = 2_000;

/**
 * Reconciliation for operators and auditors: each view is one set-based statement over other
 * libs' books (read only; nothing here writes). Several statements of one answer read one
 * REPEATABLE READ snapshot, so they agree with each other.
 */
@Injectable()
export class ReconciliationService {
  constructor(private readonly dataSource: DataSource) {}

  /** Every view's summary, as of one instant. */
  async summaries(): Promise<{ clean: boolean; views: ReconciliationSummary[] }> {
    const views = await this.inSnapshot(async (manager) => {
      const answers: ReconciliationSummary[] = [];
      for (const name of VIEW_NAMES) answers.push(await this.summary(manager, VIEWS[name]));
      return answers;
    });
    return { clean: views.every((view) => view.clean), views };
  }

  /** A view's summary and a keyset page of its findings (ordered by their key), as of one instant. */
  async view(name: ViewName, query: { limit?: number; cursor?: string }) {
    const view = VIEWS[name];
    const limit = query.limit ?? 100;
    return this.inSnapshot(async (manager) => {
      const summary = await this.summary(manager, view);
      const rows: (Record<string, unknown> & { key: string })[] = await manager.query(
        `SELECT r.key, ${selectColumns(view)} FROM (${view.rowsSql}) r
         WHERE r.finding IS NOT NULL AND ($1::text IS NULL OR r.key COLLATE "C" > $1)
         ORDER BY r.key COLLATE "C" LIMIT $2`,
        [query.cursor ?? null, limit + 1],
      );
      const page = rows.slice(0, limit);
      return {
        summary,
        findings: page.map((row) => findingRow(view, row)),
        nextCursor: rows.length > limit ? page[page.length - 1].key : null,
      };
    });
  }

  /** The CSV columns of a view, in order. */
  columns(name: ViewName): string[] {
    return VIEWS[name].columns.map((column) => column.name);
  }

  /**
   * A view's findings (or, with `all`, every row it checked) as a stream of rows, read from a
   * server-side cursor in one read-only snapshot: memory stays flat however many rows there are,
   * and the database reads ahead only as fast as the client takes them.
   */
  rows(name: ViewName, all: boolean): Readable {
    const view = VIEWS[name];
    const sql = `SELECT ${selectColumns(view)} FROM (${view.rowsSql}) r
      ${all ? '' : 'WHERE r.finding IS NOT NULL'} ORDER BY r.key COLLATE "C"`;
    return Readable.from(this.cursorRows(view, sql), { objectMode: true });
  }

  private async *cursorRows(view: ViewDefinition, sql: string): AsyncGenerator<FindingRow> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query('SET TRANSACTION READ ONLY');
      await runner.query(`DECLARE reconciliation_rows NO SCROLL CURSOR FOR ${sql}`);
      for (;;) {
        const rows: Record<string, unknown>[] = await runner.query(
          `FETCH ${CSV_FETCH_ROWS} FROM reconciliation_rows`,
        );
        for (const row of rows) yield findingRow(view, row);
        if (rows.length < CSV_FETCH_ROWS) break;
      }
    } finally {
      // Also when the client went away mid-stream: the generator is closed and the cursor dropped.
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  /** One statement: the view's rows counted and totalled per currency and per kind of finding. */
  private async summary(manager: EntityManager, view: ViewDefinition): Promise<ReconciliationSummary> {
    const rows: SummaryRow[] = await manager.query(
      `SELECT GROUPING(r.currency) AS all_currencies, GROUPING(r.finding) AS all_findings, r.currency, r.finding,
              count(*) AS checked, count(*) FILTER (WHERE r.finding IS NOT NULL) AS findings,
              sum(r.amount_minor) AS checked_minor,
              sum(r.amount_minor) FILTER (WHERE r.finding IS NOT NULL) AS findings_minor
       FROM (${view.rowsSql}) r
       GROUP BY GROUPING SETS ((), (r.currency), (r.finding))`,
    );
    const total = rows.find((row) => row.all_currencies === 1 && row.all_findings === 1);
    const findings = Number(total?.findings ?? 0);
    return {
      view: view.name,
      clean: findings === 0,
      checked: Number(total?.checked ?? 0),
      findings,
      byKind: rows
        .filter((row) => row.all_currencies === 1 && row.all_findings === 0 && row.finding !== null)
        .map((row) => ({ kind: row.finding!, count: Number(row.checked) }))
        .sort((a, b) => (a.kind < b.kind ? -1 : 1)),
      totals: rows
        .filter((row) => row.all_currencies === 0 && row.all_findings === 1 && row.currency !== null)
        .map((row) => ({
          currency: row.currency!,
          checkedMinor: Number(row.checked_minor ?? 0),
          findingsMinor: Number(row.findings_minor ?? 0),
        }))
        .sort((a, b) => (a.currency < b.currency ? -1 : 1)),
    };
  }

  private async inSnapshot<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query('SET TRANSACTION READ ONLY');
      return await work(runner.manager);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }
}

function selectColumns(view: ViewDefinition): string {
  return view.columns.map((column) => `r.${column.sql}`).join(', ');
}

/** A row of the view's columns by their API names; integers (bigint text from pg) as numbers. */
function findingRow(view: ViewDefinition, row: Record<string, unknown>): FindingRow {
  const out: FindingRow = {};
  for (const column of view.columns) {
    const value = row[column.sql];
    out[column.name] =
      value === null || value === undefined
        ? null
        : column.type === 'integer'
          ? Number(value)
          : String(value);
  }
  return out;
}
