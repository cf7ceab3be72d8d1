import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '#http';
import { PAYMENT_PROVIDER, PaymentProviderError, type PaymentProvider } from '#payments';
import { PROCESSOR_FROM_PORT, VIEW_NAMES, VIEWS, type ViewDefinition, type ViewName } from './views.js';

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

/** The view's rows counted and totalled per (currency, finding): a handful of groups. */
interface SummaryRow {
  currency: string | null;
  finding: string | null;
  rows: string;
  amount_minor: string | null;
}

/**
 * Memory each sort and hash of a view may take before spilling to disk: the views group and join
 * millions of rows, and only operators and auditors run them. (Session default: 4 MB.)
 */
const VIEW_WORK_MEM = '64MB';

/** A view ready to run: its definition and the values of its parameters ($1 … in its SQL). */
interface ViewQuery {
  view: ViewDefinition;
  params: unknown[];
}

/** Rows read from the cursor per round trip while a CSV streams. */
const CSV_FETCH_ROWS = 5_000;

/**
 * Reconciliation for operators and auditors: each view is one set-based statement over other
 * libs' books (read only; nothing here writes). Several statements of one answer read one
 * REPEATABLE READ snapshot, so they agree with each other.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  /** Every view's summary, as of one instant (a remote processor's books: as read just before). */
  async summaries(): Promise<{ clean: boolean; views: ReconciliationSummary[] }> {
    const queries = await Promise.all(VIEW_NAMES.map((name) => this.queryOf(name)));
    const views = await this.inSnapshot(async (manager) => {
      const answers: ReconciliationSummary[] = [];
      for (const query of queries) answers.push(await this.summary(manager, query));
      return answers;
    });
    return { clean: views.every((view) => view.clean), views };
  }

  /** A view's summary and a keyset page of its findings (ordered by their key), as of one instant. */
  async view(name: ViewName, query: { limit?: number; cursor?: string }) {
    const viewQuery = await this.queryOf(name);
    const { view, params } = viewQuery;
    const limit = query.limit ?? 100;
    const [cursor, limitParam] = [`$${params.length + 1}`, `$${params.length + 2}`];
    return this.inSnapshot(async (manager) => {
      const summary = await this.summary(manager, viewQuery);
      const rows: (Record<string, unknown> & { key: string })[] = await manager.query(
        `SELECT r.key, ${selectColumns(view)} FROM (${view.rowsSql}) r
         WHERE r.finding IS NOT NULL AND (${cursor}::text IS NULL OR r.key COLLATE "C" > ${cursor})
         ORDER BY r.key COLLATE "C" LIMIT ${limitParam}`,
        [...params, query.cursor ?? null, limit + 1],
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
  async rows(name: ViewName, all: boolean): Promise<Readable> {
    // Resolved before the stream starts, so that a processor out of reach is a 503, not a cut download.
    const query = await this.queryOf(name);
    return Readable.from(this.cursorRows(query, all), { objectMode: true });
  }

  private async *cursorRows({ view, params }: ViewQuery, all: boolean): AsyncGenerator<FindingRow> {
    const sql = `SELECT ${selectColumns(view)} FROM (${view.rowsSql}) r
      ${all ? '' : 'WHERE r.finding IS NOT NULL'} ORDER BY r.key COLLATE "C"`;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query(`SET TRANSACTION READ ONLY; SET LOCAL work_mem = '${VIEW_WORK_MEM}'`);
      await runner.query(`DECLARE reconciliation_rows NO SCROLL CURSOR FOR ${sql}`, params);
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

  /**
   * One statement: the view's rows counted and totalled per currency and kind of finding (one hash
   * aggregate of a few groups), rolled up here into the summary.
   */
  private async summary(manager: EntityManager, { view, params }: ViewQuery): Promise<ReconciliationSummary> {
    const groups: SummaryRow[] = await manager.query(
      `SELECT r.currency, r.finding, count(*) AS rows, sum(r.amount_minor) AS amount_minor
       FROM (${view.rowsSql}) r GROUP BY r.currency, r.finding`,
      params,
    );
    const byKind = new Map<string, number>();
    const totals = new Map<string, { currency: string; checkedMinor: number; findingsMinor: number }>();
    let checked = 0;
    for (const group of groups) {
      const rows = Number(group.rows);
      const amount = Number(group.amount_minor ?? 0);
      checked += rows;
      if (group.finding !== null) byKind.set(group.finding, (byKind.get(group.finding) ?? 0) + rows);
      if (group.currency === null) continue;
      const total = totals.get(group.currency) ?? {
        currency: group.currency,
        checkedMinor: 0,
        findingsMinor: 0,
      };
      total.checkedMinor += amount;
      if (group.finding !== null) total.findingsMinor += amount;
      totals.set(group.currency, total);
    }
    const findings = [...byKind.values()].reduce((sum, count) => sum + count, 0);
    return {
      view: view.name,
      clean: findings === 0,
      checked,
      findings,
      byKind: [...byKind]
        .map(([kind, count]) => ({ kind, count }))
        .sort((a, b) => (a.kind < b.kind ? -1 : 1)),
      totals: [...totals.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1)),
    };
  }

  /**
   * The view to run. The processor view reads the sandbox rail's tables directly (set-based); a
   * remote processor's books are first read through the payment port (Stripe: every balance
   * transaction) and summed per payment, then joined with the journal as parameters.
   */
  private async queryOf(name: ViewName): Promise<ViewQuery> {
    if (name !== 'processor' || this.provider.rail === 'sandbox') return { view: VIEWS[name], params: [] };
    const payments = new Map<string, { currency: string; captured: number; refunded: number }>();
    try {
      for await (const movement of this.provider.processorMovements()) {
        const payment = payments.get(movement.paymentId) ?? {
          currency: movement.currency,
          captured: 0,
          refunded: 0,
        };
        if (movement.kind === 'capture') payment.captured += movement.amountMinor;
        else payment.refunded += movement.amountMinor;
        payments.set(movement.paymentId, payment);
      }
    } catch (error) {
      if (!(error instanceof PaymentProviderError)) throw error;
      throw new DomainError(
        'payment-provider-unavailable',
        503,
        'Service unavailable',
        'The card processor could not be reached to read its books; try again in a moment',
      );
    }
    const rows = [...payments];
    return {
      view: PROCESSOR_FROM_PORT,
      params: [
        rows.map(([paymentId]) => paymentId),
        rows.map(([, payment]) => payment.currency),
        rows.map(([, payment]) => payment.captured),
        rows.map(([, payment]) => payment.refunded),
      ],
    };
  }

  private async inSnapshot<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query(`SET TRANSACTION READ ONLY; SET LOCAL work_mem = '${VIEW_WORK_MEM}'`);
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
