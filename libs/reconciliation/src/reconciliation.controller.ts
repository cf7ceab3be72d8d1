import { pipeline } from 'node:stream';
import { applyDecorators, Controller, Get, Query, StreamableFile, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { stringify } from 'csv-stringify';
import { ApiProblems } from '#http';
import { Roles } from '#identity';
import {
  CsvQuery,
  FindingsQuery,
  JournalReconciliationView,
  LedgerReconciliationView,
  PaymentsReconciliationView,
  PayoutsReconciliationView,
  ProcessorReconciliationView,
  ReconciliationOverviewView,
} from './reconciliation.dto.js';
import { ReconciliationService } from './reconciliation.service.js';
import { VIEWS, type ViewName } from './views.js';

/** With Stripe, the processor view first reads Stripe's balance transactions: it may be out of reach. */
const PROCESSOR_PROBLEMS = { 503: ['payment-provider-unavailable'] };

/** GET …/<view>: the view's summary and a page of its findings. */
function FindingsRoute(view: ViewName, type: Type) {
  return applyDecorators(
    Get(view),
    ApiOperation({
      summary: `Reconciliation: ${view}`,
      description:
        `${VIEWS[view].describes}. The summary (rows checked, findings per kind, money per currency) and ` +
        'the findings, each with the rows that show it, ordered by key. Keyset pages: pass `nextCursor` ' +
        'back as `cursor`. Read only, as of one instant.',
    }),
    ApiOkResponse({ type }),
  );
}

/** GET …/<view>.csv: the same findings (or every row checked), streamed as CSV. */
function CsvRoute(view: ViewName) {
  return applyDecorators(
    Get(`${view}.csv`),
    ApiOperation({
      summary: `Reconciliation: ${view}, as CSV`,
      description:
        `The ${view} view's findings as CSV (UTF-8, a header row, the JSON view's fields as columns), or ` +
        'with `rows=all` every row it checked (`finding` empty where it reconciles). Streamed from the ' +
        'database as it is read, however many rows, as of one instant.',
    }),
    ApiProduces('text/csv'),
    ApiOkResponse({
      description: 'The CSV file (an attachment)',
      content: { 'text/csv': { schema: { type: 'string' } } },
    }),
  );
}

/**
 * Reconciliation for operators and auditors: read-only checks across the money journal, payments,
 * payouts, the ledger and the processor's books, as JSON and CSV.
 */
@ApiTags('reconciliation')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Get()
  @ApiOperation({
    summary: 'Reconciliation: every view’s summary',
    description:
      'One summary per view, as of one instant: captured payments ↔ sales and refunds (`payments`), ' +
      'balanced journal entries (`journal`), payouts ≤ earnings (`payouts`), ledger owners = database ' +
      'owners (`ledger`), the processor’s books ↔ the journal (`processor`). `clean` when none has a finding.',
  })
  @ApiOkResponse({ type: ReconciliationOverviewView })
  @ApiProblems(PROCESSOR_PROBLEMS)
  overview() {
    return this.reconciliation.summaries();
  }

  @FindingsRoute('payments', PaymentsReconciliationView)
  payments(@Query() query: FindingsQuery) {
    return this.reconciliation.view('payments', query);
  }

  @CsvRoute('payments')
  paymentsCsv(@Query() query: CsvQuery) {
    return this.csv('payments', query);
  }

  @FindingsRoute('journal', JournalReconciliationView)
  journal(@Query() query: FindingsQuery) {
    return this.reconciliation.view('journal', query);
  }

  @CsvRoute('journal')
  journalCsv(@Query() query: CsvQuery) {
    return this.csv('journal', query);
  }

  @FindingsRoute('payouts', PayoutsReconciliationView)
  payouts(@Query() query: FindingsQuery) {
    return this.reconciliation.view('payouts', query);
  }

  @CsvRoute('payouts')
  payoutsCsv(@Query() query: CsvQuery) {
    return this.csv('payouts', query);
  }

  @FindingsRoute('ledger', LedgerReconciliationView)
  ledger(@Query() query: FindingsQuery) {
    return this.reconciliation.view('ledger', query);
  }

  @CsvRoute('ledger')
  ledgerCsv(@Query() query: CsvQuery) {
    return this.csv('ledger', query);
  }

  @FindingsRoute('processor', ProcessorReconciliationView)
  @ApiProblems(PROCESSOR_PROBLEMS)
  processor(@Query() query: FindingsQuery) {
    return this.reconciliation.view('processor', query);
  }

  @CsvRoute('processor')
  @ApiProblems(PROCESSOR_PROBLEMS)
  processorCsv(@Query() query: CsvQuery) {
    return this.csv('processor', query);
  }

  private async csv(view: ViewName, query: CsvQuery): Promise<StreamableFile> {
    const all = query.rows === 'all';
    const csv = stringify({ header: true, columns: this.reconciliation.columns(view) });
    // A failure mid-stream (headers are sent by then) can only cut the download short.
    const body = pipeline(await this.reconciliation.rows(view, all), csv, () => undefined);
    const day = new Date().toISOString().slice(0, 10);
    return new StreamableFile(body, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="heirloom-reconciliation-${view}${all ? '-all' : ''}-${day}.csv"`,
    });
  }
}
