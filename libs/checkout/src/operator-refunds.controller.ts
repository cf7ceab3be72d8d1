import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Roles } from '#identity';
import { REFUND_STUCK_ATTEMPTS, type StuckRefund } from './refund-schedule.js';
import { RefundService } from './refund.service.js';

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
  @ApiProperty({ enum: ['edition-unavailable', 'amount-mismatch'] }) reason!: string;
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
