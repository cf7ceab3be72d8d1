import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageLimit } from '#http';
import { VIEW_NAMES, VIEWS } from './views.js';

export class FindingsQuery {
  @PageLimit(1000, 100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,200}$/, {
    message: 'cursor must be a nextCursor returned by this listing',
  })
  cursor?: string;
}

export class CsvQuery {
  @ApiPropertyOptional({
    enum: ['findings', 'all'],
    default: 'findings',
    description: '`findings`: the rows that disagree (as the JSON view lists them); `all`: every row checked',
  })
  @IsOptional()
  @IsIn(['findings', 'all'])
  rows?: 'findings' | 'all';
}

export class FindingCountView {
  @ApiProperty({ example: 'payment-without-sale' }) kind!: string;
  @ApiProperty({ type: 'integer' }) count!: number;
}

export class CurrencyTotalView {
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ type: 'integer', description: 'Total over every row checked, integer minor units' })
  checkedMinor!: number;
  @ApiProperty({ type: 'integer', description: 'Total over the rows with a finding, integer minor units' })
  findingsMinor!: number;
}

export class ReconciliationSummaryView {
  @ApiProperty({ enum: VIEW_NAMES }) view!: (typeof VIEW_NAMES)[number];
  @ApiProperty({ description: 'No finding: every row checked reconciles' }) clean!: boolean;
  @ApiProperty({ type: 'integer', description: 'Rows checked' }) checked!: number;
  @ApiProperty({ type: 'integer', description: 'Rows that disagree' }) findings!: number;
  @ApiProperty({ type: () => [FindingCountView], description: 'Findings per kind' })
  byKind!: FindingCountView[];
  @ApiProperty({
    type: () => [CurrencyTotalView],
    description: 'Money per currency (none for the ledger view): what the view sums is in its description',
  })
  totals!: CurrencyTotalView[];
}

export class ReconciliationOverviewView {
  @ApiProperty({ description: 'Every view is clean' }) clean!: boolean;
  @ApiProperty({
    type: () => [ReconciliationSummaryView],
    description: 'One summary per view, as of one instant',
  })
  views!: ReconciliationSummaryView[];
}

const nullableText = { type: String, nullable: true };
const nullableInteger = { type: 'integer', nullable: true } as const;

export class PaymentFindingView {
  @ApiProperty({ enum: VIEWS.payments.findingKinds }) finding!: string;
  @ApiProperty({ ...nullableText, description: 'The processor’s payment id' }) paymentId!: string | null;
  @ApiProperty({ ...nullableText, description: 'The order it paid for, as booked' })
  orderId!: string | null;
  @ApiProperty({ ...nullableText, description: 'Its journal entries as `id:kind`, space separated' })
  journalEntries!: string | null;
  @ApiProperty(nullableText) currency!: string | null;
  @ApiProperty({ ...nullableInteger, description: 'Captured amount' }) amountMinor!: number | null;
}

export class JournalFindingView {
  @ApiProperty({ enum: VIEWS.journal.findingKinds }) finding!: string;
  @ApiProperty({ type: 'integer' }) entryId!: number;
  @ApiProperty({ example: 'sale' }) kind!: string;
  @ApiProperty(nullableText) orderId!: string | null;
  @ApiProperty(nullableText) currency!: string | null;
  @ApiProperty({ type: 'integer', description: 'Sum of its debit lines' }) debitsMinor!: number;
  @ApiProperty({ type: 'integer', description: 'Sum of all its lines: 0 when it balances' })
  imbalanceMinor!: number;
  @ApiProperty({ type: 'integer' }) lines!: number;
}

export class PayoutFindingView {
  @ApiProperty({ enum: VIEWS.payouts.findingKinds }) finding!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ type: 'integer', description: 'Payouts not failed, from the payouts table' })
  paidOutMinor!: number;
  @ApiProperty({ type: 'integer', description: 'What the journal credited the account for sales' })
  creditedMinor!: number;
  @ApiProperty({ type: 'integer', description: 'Payouts as the journal booked them (net of failed ones)' })
  bookedPayoutsMinor!: number;
  @ApiProperty({ type: 'integer' }) payouts!: number;
}

export class LedgerFindingView {
  @ApiProperty({ enum: VIEWS.ledger.findingKinds }) finding!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({ ...nullableText, description: 'Owner in the token row' }) rowOwner!: string | null;
  @ApiProperty({ ...nullableText, description: 'Owner after the last ledger entry' })
  ledgerOwner!: string | null;
  @ApiProperty() rowStatus!: string;
  @ApiProperty(nullableText) ledgerStatus!: string | null;
  @ApiProperty({ type: 'integer' }) rowSeq!: number;
  @ApiProperty(nullableInteger) ledgerSeq!: number | null;
}

export class ProcessorFindingView {
  @ApiProperty({ enum: VIEWS.processor.findingKinds }) finding!: string;
  @ApiProperty() paymentId!: string;
  @ApiProperty(nullableText) currency!: string | null;
  @ApiProperty({ type: 'integer', description: 'What the processor captured' }) capturedMinor!: number;
  @ApiProperty({ type: 'integer', description: 'What the journal booked as captured' })
  bookedCapturedMinor!: number;
  @ApiProperty({ type: 'integer', description: 'What the processor refunded' }) refundedMinor!: number;
  @ApiProperty({ type: 'integer', description: 'What the journal booked as refunded' })
  bookedRefundedMinor!: number;
}

const nextCursor = {
  type: String,
  nullable: true,
  description: 'Pass as `cursor` for the next page of findings',
};

export class PaymentsReconciliationView {
  @ApiProperty({ type: () => ReconciliationSummaryView }) summary!: ReconciliationSummaryView;
  @ApiProperty({ type: () => [PaymentFindingView] }) findings!: PaymentFindingView[];
  @ApiProperty(nextCursor) nextCursor!: string | null;
}

export class JournalReconciliationView {
  @ApiProperty({ type: () => ReconciliationSummaryView }) summary!: ReconciliationSummaryView;
  @ApiProperty({ type: () => [JournalFindingView] }) findings!: JournalFindingView[];
  @ApiProperty(nextCursor) nextCursor!: string | null;
}

export class PayoutsReconciliationView {
  @ApiProperty({ type: () => ReconciliationSummaryView }) summary!: ReconciliationSummaryView;
  @ApiProperty({ type: () => [PayoutFindingView] }) findings!: PayoutFindingView[];
  @ApiProperty(nextCursor) nextCursor!: string | null;
}

export class LedgerReconciliationView {
  @ApiProperty({ type: () => ReconciliationSummaryView }) summary!: ReconciliationSummaryView;
  @ApiProperty({ type: () => [LedgerFindingView] }) findings!: LedgerFindingView[];
  @ApiProperty(nextCursor) nextCursor!: string | null;
}

export class ProcessorReconciliationView {
  @ApiProperty({ type: () => ReconciliationSummaryView }) summary!: ReconciliationSummaryView;
  @ApiProperty({ type: () => [ProcessorFindingView] }) findings!: ProcessorFindingView[];
  @ApiProperty(nextCursor) nextCursor!: string | null;
}
