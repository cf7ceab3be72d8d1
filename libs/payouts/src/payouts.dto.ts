import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageLimit, TimeIdCursor } from '#http';
import { CURRENCIES } from '#money';
import type { OnboardingState } from './connected-accounts.js';
import type { EarningsBalance, EarningsService } from './earnings.js';
import type { PayoutsService, PayoutStatus } from './payouts.service.js';

type Answer<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;
type EarningsSaleShape = Answer<EarningsService['sales']>['items'][number];
type PayoutShape = Answer<PayoutsService['request']>;
type PayoutRunShape = Answer<PayoutsService['run']>;

const PAYOUT_STATUSES: readonly PayoutStatus[] = ['pending', 'paid', 'failed'];

export class RequestPayoutDto {
  @ApiProperty({ type: 'integer', minimum: 1, description: 'How much, integer minor units of `currency`' })
  @IsInt()
  @Min(1)
  @Max(1e12)
  amountMinor!: number;

  @ApiProperty({ enum: CURRENCIES }) @IsIn(CURRENCIES) currency!: string;

  @ApiProperty({ description: 'Client-chosen key: a retry with it answers the same payout' })
  @Matches(/^(?!run:)[A-Za-z0-9._:-]{8,100}$/, {
    message: 'idempotencyKey must be 8 to 100 letters, digits or . _ : - (not starting with run:)',
  })
  idempotencyKey!: string;
}

export class RunPayoutsDto {
  @ApiProperty({ description: 'Names this run: running it again pays nobody twice (it resumes the run)' })
  @Matches(/^[A-Za-z0-9._:-]{1,100}$/, { message: 'runKey must be 1 to 100 letters, digits or . _ : -' })
  runKey!: string;

  @ApiPropertyOptional({ description: 'Why: kept in the operator action trail that auditors read' })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'reason must not be blank' })
  @MaxLength(2000)
  reason?: string;
}

export class EarningsSalesQuery {
  @PageLimit(100, 20)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' })
  @IsOptional()
  @Matches(/^[0-9]{1,18}$/, { message: 'cursor must be a nextCursor returned by this listing' })
  cursor?: string;
}

export class MyPayoutsQuery {
  @PageLimit(100, 20)
  limit?: number;

  @TimeIdCursor()
  cursor?: string;

  @ApiPropertyOptional({ enum: PAYOUT_STATUSES, description: 'Only payouts in this status' })
  @IsOptional()
  @IsIn(PAYOUT_STATUSES)
  status?: PayoutStatus;
}

export class OperatorPayoutsQuery extends MyPayoutsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this account’s payouts' })
  @IsOptional()
  @IsUUID()
  accountId?: string;
}

export class EarningsBalanceView implements EarningsBalance {
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({
    type: 'integer',
    description:
      'Earned on sales still inside the refund/dispute window (EARNINGS_HOLD_DAYS), net of refunds',
  })
  pendingMinor!: number;
  @ApiProperty({
    type: 'integer',
    description:
      'What can be paid out now. Negative when a refund came after a payout: later earnings repay it first',
  })
  availableMinor!: number;
  @ApiProperty({ type: 'integer', description: 'Payouts requested, not yet paid or failed' })
  inTransitMinor!: number;
  @ApiProperty({ type: 'integer', description: 'Paid out, all time' }) paidOutMinor!: number;
}

export class EarningsSaleView implements EarningsSaleShape {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({
    enum: ['seller', 'creator'],
    description: '`seller`: you sold it (your proceeds); `creator`: a resale of your edition (your royalty)',
  })
  role!: 'seller' | 'creator';
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ type: 'integer', description: 'What the buyer paid' }) priceMinor!: number;
  @ApiProperty({ type: 'integer' }) platformFeeMinor!: number;
  @ApiProperty({ type: 'integer', description: 'The card processor’s fee' }) processorFeeMinor!: number;
  @ApiProperty({ type: 'integer', description: 'The creator’s royalty (resales by others only)' })
  royaltyMinor!: number;
  @ApiProperty({ type: 'integer', description: 'The seller’s proceeds' }) proceedsMinor!: number;
  @ApiProperty({ type: 'integer', description: 'Your share: proceeds as seller, royalty as creator' })
  earnedMinor!: number;
  @ApiProperty({ type: 'integer', description: 'Refunded to the buyer so far (reduces your share pro rata)' })
  refundedMinor!: number;
  @ApiProperty({ format: 'date-time' }) bookedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When the refund window ends and it becomes available' })
  availableFrom!: string;
}

export class EarningsView {
  @ApiProperty({ type: () => [EarningsBalanceView] }) balances!: EarningsBalanceView[];
  @ApiProperty({ type: () => [EarningsSaleView], description: 'Sales you earned on, newest first' })
  sales!: EarningsSaleView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page of sales' })
  nextCursor!: string | null;
}

export class PayoutView implements PayoutShape {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty() idempotencyKey!: string;
  @ApiProperty({ type: 'integer' }) amountMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({
    enum: PAYOUT_STATUSES,
    description: '`pending`: on its way; `paid`; `failed`: the amount is back in your available balance',
  })
  status!: PayoutStatus;
  @ApiProperty({ example: 'sandbox', description: 'The rail it went out through' }) rail!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The rail’s reference once paid' })
  railRef!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'account-closed' }) failureCode!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The operator run that made it, if any' })
  runKey!: string | null;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) settledAt!: string | null;
  @ApiProperty({ type: 'integer', description: 'Times it was sent to the rail so far' }) attempts!: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'Pending only: when it is sent again (the rail did not answer); same idempotency key, paid once',
  })
  nextAttemptAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Operators only (null elsewhere): the rail’s last error while it stays pending',
  })
  lastError!: string | null;
}

export class PayoutsPageView {
  @ApiProperty({ type: () => [PayoutView] }) items!: PayoutView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class PayoutRunView implements PayoutRunShape {
  @ApiProperty() runKey!: string;
  @ApiProperty({ type: () => [PayoutView], description: 'Every payout of this run so far' })
  payouts!: PayoutView[];
}

export class PayoutOnboardingView implements OnboardingState {
  @ApiProperty({ example: 'stripe', description: 'The rail payouts go out through' }) rail!: string;
  @ApiProperty({
    description: 'Whether you must set up payouts with the rail first (Stripe: yes; the sandbox: no)',
  })
  onboardingRequired!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Your connected account at Stripe (`acct_…`)' })
  connectedAccountId!: string | null;
  @ApiProperty({ description: 'Whether you can be paid out now' }) payoutsEnabled!: boolean;
  @ApiProperty({ description: 'Whether you gave Stripe everything it asked for' }) detailsSubmitted!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Open it to finish setting up payouts at Stripe; single use. Null once payouts are enabled',
  })
  onboardingUrl!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the link stops working',
  })
  onboardingUrlExpiresAt!: string | null;
}
