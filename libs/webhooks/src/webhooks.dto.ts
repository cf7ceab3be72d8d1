import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageLimit, TimeIdCursor } from '#http';
import type { WebhookEndpointsService } from './endpoints.service.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events.js';

type Answer<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;
type EndpointShape = Answer<WebhookEndpointsService['get']>;
type CreatedEndpointShape = Answer<WebhookEndpointsService['create']>;
type DeliveryShape = Answer<WebhookEndpointsService['replay']>;
type AttemptShape = DeliveryShape['attempts'][number];

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

const URL_DESCRIPTION =
  'Where events are POSTed: an https:// URL of a public host. In development (or with ' +
  'WEBHOOK_ALLOW_LOCAL_URLS=true) also http(s)://127.0.0.1, [::1] or localhost; private and ' +
  'reserved addresses never.';

export class CreateWebhookEndpointDto {
  @ApiProperty({ maxLength: 2048, description: URL_DESCRIPTION, example: 'https://example.com/heirloom' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, description: 'The event types to receive' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  eventTypes!: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500, description: 'Your own note on what this endpoint is for' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    description: 'Operators only: receive the chosen events of every account, not only your own',
  })
  @IsOptional()
  @IsBoolean()
  platformWide?: boolean;

  @ApiProperty({ description: 'Client-chosen key: a retry with it answers the same endpoint' })
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/, {
    message: 'idempotencyKey must be 8 to 100 letters, digits or . _ : -',
  })
  idempotencyKey!: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ maxLength: 2048, description: URL_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  eventTypes?: WebhookEventType[];

  @ApiPropertyOptional({ description: 'A disabled endpoint receives nothing; its due deliveries wait' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class WebhookDeliveriesQuery {
  @PageLimit(100, 20)
  limit?: number;

  @TimeIdCursor()
  cursor?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, description: 'Only deliveries in this status' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];
}

export class WebhookEndpointView implements EndpointShape {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) eventTypes!: WebhookEventType[];
  @ApiProperty({ description: 'Receives the chosen events of every account (operators’ endpoints)' })
  platformWide!: boolean;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'After a rotation: until then deliveries are signed with the previous secret too',
  })
  previousSecretValidUntil!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class WebhookEndpointWithSecretView extends WebhookEndpointView implements CreatedEndpointShape {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description:
      'Verifies the `webhook-signature` of deliveries (Standard Webhooks). Shown only now: keep it ' +
      'safe; rotate it if it leaks',
  })
  secret!: string;
}

export class WebhookEndpointsView {
  @ApiProperty({ type: [WebhookEndpointView] }) items!: WebhookEndpointView[];
}

export class WebhookAttemptView implements AttemptShape {
  @ApiProperty({ description: 'The attempt’s number, from 1' }) attempt!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'The HTTP status the endpoint answered' })
  responseStatus!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The start of the answer’s body (1 KiB at most)',
  })
  responseExcerpt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why no answer came (timeout, refused, …)' })
  error!: string | null;
}

export class WebhookDeliveryView implements DeliveryShape {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'evt_2b8f0c6e4f9a4d7e8c1b2a3d4e5f6a7b', description: 'Also sent as `webhook-id`' })
  eventId!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) eventType!: WebhookEventType;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description: '`failed` once every retry of the schedule (about 3 days) failed; replay it when ready',
  })
  status!: (typeof DELIVERY_STATUSES)[number];
  @ApiProperty() attemptCount!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The delivery this replays' })
  replayOf!: string | null;
  @ApiProperty({ type: [WebhookAttemptView] }) attempts!: WebhookAttemptView[];
}

export class WebhookDeliveriesPageView {
  @ApiProperty({ type: [WebhookDeliveryView] }) items!: WebhookDeliveryView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}
