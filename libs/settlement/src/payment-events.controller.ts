import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiProblems, problems } from '#http';
import { Roles } from '#identity';
import { PaymentEventsService } from './payment-events.service.js';

/** A stored payment event: as received (body and headers) and what settlement did with it. */
export class PaymentEventView {
  @ApiProperty({ description: 'The provider’s event id' }) id!: string;
  @ApiProperty({ description: 'The provider’s event type, e.g. `charge.refunded`' }) type!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The payment the event names' })
  paymentId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The order named in its metadata (unverified)' })
  orderId!: string | null;
  @ApiProperty({ type: Date }) receivedAt!: Date;
  @ApiProperty({ type: Date, nullable: true, description: 'null: not applied yet (or deferred)' })
  processedAt!: Date | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'What applying it did: `settled`, `refunded`, `frozen`, `no-op`, `ignored`, …',
  })
  outcome!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why an `ignored` event changed nothing, e.g. `unknown-payment`, `currency-mismatch`',
  })
  ignoredReason!: string | null;
  @ApiProperty({ type: Object, description: 'The event as settlement read it (normalised)' })
  payload!: Record<string, unknown>;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'The body exactly as received and signed (UTF-8); null for events stored before it was kept',
  })
  rawBody!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The `Stripe-Signature` header as received' })
  signature!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The `Content-Type` header as received' })
  contentType!: string | null;
}

/** Operators' view of the webhook inbox: an event as received, and re-delivering it. */
@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/payment-events')
export class PaymentEventsOperatorController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: PaymentEventsService,
  ) {}

  @Get(':id')
  @ApiOperation({
    summary: 'Inspect a received payment event',
    description:
      'The event as received — its body byte for byte and its `Stripe-Signature` and `Content-Type` ' +
      'headers — with what settlement did with it (`outcome`; `ignoredReason` says why an event ' +
      'that matched no order of ours changed nothing).',
  })
  @ApiOkResponse({ type: PaymentEventView })
  @ApiProblems({ 404: ['not-found'] })
  async inspect(@Param('id') id: string): Promise<PaymentEventView> {
    return this.find(id);
  }

  @Post(':id/redeliver')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({
    summary: 'Re-deliver a stored payment event',
    description:
      'Runs the stored event, as received, through the webhook receiver again: its signature is checked ' +
      'against this installation’s secret (its age is not), and it is applied if it has not been, or if ' +
      'it was ignored for want of a matching order (one may exist now). Idempotent: an event applies at ' +
      'most once. Answers the event as it now is.',
  })
  @ApiOkResponse({ type: PaymentEventView })
  @ApiProblems({ 404: ['not-found'], 409: ['event-not-redeliverable', 'event-unverifiable'] })
  async redeliver(@Param('id') id: string): Promise<PaymentEventView> {
    if (!isEventId(id) || !(await this.events.redeliver(id))) throw problems.notFound('Payment event');
    return this.find(id);
  }

  private async find(id: string): Promise<PaymentEventView> {
    const [row] = isEventId(id)
      ? await this.dataSource.query(
          `SELECT id, type, payment_id AS "paymentId", order_id AS "orderId", received_at AS "receivedAt",
             processed_at AS "processedAt", outcome, ignored_reason AS "ignoredReason", payload,
             raw_body AS "rawBody", signature, content_type AS "contentType"
           FROM payment_events WHERE id = $1`,
          [id],
        )
      : [];
    if (!row) throw problems.notFound('Payment event');
    return { ...row, rawBody: (row.rawBody as Buffer | null)?.toString('utf8') ?? null };
  }
}

/** Provider event ids are short ASCII (`evt_…`); anything else names no stored event. */
function isEventId(id: string): boolean {
  return /^[\w-]{1,255}$/.test(id);
}
