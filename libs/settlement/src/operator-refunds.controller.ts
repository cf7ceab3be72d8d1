import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal, Roles, SessionOnly } from '#identity';
import { REFUND_STUCK_ATTEMPTS, type StuckRefund } from './refund-schedule.js';
import { CANCEL_STUCK_ATTEMPTS, RefundService, type StuckCancel } from './refund.service.js';
import { SaleRefundsService } from './sale-refunds.service.js';

export class RefundsQuery {
  @ApiPropertyOptional({ enum: ['stuck'], default: 'stuck', description: 'Only `stuck` for now' })
  @IsOptional()
  @IsIn(['stuck'])
  state?: 'stuck';
}

/** One refund owed to a buyer that needs an operator's eye. */
export class StuckRefundView implements StuckRefund {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ example: 'pi_3Q…' }) paymentId!: string;
  @ApiProperty({ description: 'What we owe back: the captured payment, in minor units', example: 3000 })
  amountMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ enum: ['edition-unavailable', 'amount-mismatch', 'operator-refund'] }) reason!: string;
  @ApiProperty({
    enum: ['pending', 'rejected'],
    description: '`pending`: still retried with backoff; `rejected`: refused by the processor, never retried',
  })
  status!: string;
  @ApiProperty({ description: 'Attempts made so far' }) attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The last failure or refusal' })
  lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Null once rejected' })
  nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/refunds')
export class OperatorRefundsController {
  constructor(private readonly refunds: RefundService) {}

  @Get()
  @ApiOperation({
    summary: 'List refunds owed to buyers that are stuck',
    description:
      'Refunds we owe (a payment captured for an edition no longer ours to sell, or for the wrong ' +
      `amount) are retried with backoff until the processor takes them. \`stuck\`: failed ${REFUND_STUCK_ATTEMPTS} ` +
      'times or more (each escalation is also logged as an error), or refused by the processor for good ' +
      '(`rejected`: refund it by hand). Oldest first, at most 1000.',
  })
  @ApiOkResponse({ type: [StuckRefundView] })
  list(@Query() _query: RefundsQuery): Promise<StuckRefundView[]> {
    return this.refunds.stuck();
  }
}

/** A cancel we owe the processor for a payment whose reservation expired, that keeps failing. */
export class StuckCancelView implements StuckCancel {
  @ApiProperty({ example: 'pi_3Q…' }) paymentId!: string;
  @ApiProperty({ format: 'uuid', description: 'The expired order the payment was for' }) orderId!: string;
  @ApiProperty({ description: 'Attempts made so far' }) attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The last failure' }) lastError!: string | null;
  @ApiProperty({ format: 'date-time', description: 'When it is tried again (it never stops)' })
  nextAttemptAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/payment-cancels')
export class OperatorPaymentCancelsController {
  constructor(private readonly refunds: RefundService) {}

  @Get()
  @ApiOperation({
    summary: 'List payment cancels that keep failing',
    description:
      'When a reservation expires unpaid, its payment is canceled at the processor so that a late ' +
      '3-D Secure approval cannot capture it. Cancels are retried with backoff and never given up; ' +
      `those that failed ${CANCEL_STUCK_ATTEMPTS} times or more are listed here (each is also logged ` +
      'as an error). If one is captured after all, settlement refunds it. Oldest first, at most 1000.',
  })
  @ApiOkResponse({ type: [StuckCancelView] })
  list(): Promise<StuckCancelView[]> {
    return this.refunds.stuckCancels();
  }
}

export class RefundSaleDto {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'Minor units to give back; the whole payment when left out (which reverts the token)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1e12)
  amountMinor?: number;

  @ApiProperty({ description: 'Why: kept in the operator action trail that auditors read' })
  @IsString()
  @Matches(/\S/, { message: 'reason must not be blank' })
  @MaxLength(2000)
  reason!: string;
}

type Answer<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;
type SaleRefundShape = Answer<SaleRefundsService['refundSale']>;
type OpenDisputeShape = Answer<SaleRefundsService['openDisputes']>[number];

export class SaleRefundView implements SaleRefundShape {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ type: 'integer', description: 'Minor units to be refunded' }) amountMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({
    enum: ['pending'],
    description: 'Sent to the processor by the refund job, retried until taken',
  })
  status!: string;
  @ApiProperty({ example: 'act_42', description: 'The operator action recording it' }) actionRef!: string;
}

export class OpenDisputeView implements OpenDisputeShape {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({ type: 'integer' }) amountMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ type: String, nullable: true }) paymentId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) openedAt!: string | null;
}

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator')
export class OperatorSalesController {
  constructor(private readonly sales: SaleRefundsService) {}

  @SessionOnly()
  @Roles('operator')
  @Post('orders/:id/refund')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Refund a sale (operator)',
    description:
      'In full (leave out `amountMinor`) or in part. The refund is sent to the card processor and retried ' +
      'until taken (stuck ones are listed by GET /operator/refunds?state=stuck). When the processor confirms ' +
      'it, the journal reverses that share of the sale; a full refund also returns the token to its seller ' +
      '(the creator, for a primary sale) with a ledger `revert` and puts the edition back on sale. One ' +
      'refund per order; a disputed order is decided by its dispute.',
  })
  @ApiAcceptedResponse({ type: SaleRefundView, description: 'The refund, on its way to the processor' })
  @ApiProblems({
    404: ['not-found'],
    409: ['order-not-refundable', 'refund-exists'],
    422: ['refund-exceeds-payment'],
  })
  refund(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RefundSaleDto,
  ) {
    return this.sales.refundSale(principal, id, body);
  }

  @Get('disputes')
  @ApiOperation({
    summary: 'Open disputes',
    description:
      'Sales whose payment the buyer disputed with their bank, oldest first, at most 1000. The token is ' +
      'frozen meanwhile; a won dispute unfreezes it, a lost one reverts the sale. Answer the dispute at ' +
      'the card processor.',
  })
  @ApiOkResponse({ type: [OpenDisputeView] })
  disputes() {
    return this.sales.openDisputes();
  }
}
