import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { PageLimit, TimeIdCursor } from '#http';
import { ORDER_TRANSITIONS, type OrderStatus } from '#orders';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsOptional,
  IsInt,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { RECEIPT_LANGUAGES, type ReceiptLanguage } from './receipt-html.js';

/** Optional, but `null` is not a way to leave it out: it is validated (and refused) like any value. */
const OptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);

export class CardDto {
  @ApiProperty({ example: '4242 4242 4242 4242' }) @Matches(/^[\d -]{12,23}$/) number!: string;
  @ApiProperty({ example: 12 }) @IsInt() @Min(1) @Max(12) expMonth!: number;
  @ApiProperty({ example: 2030 }) @IsInt() @Min(2000) @Max(2100) expYear!: number;
  @ApiProperty({ example: '123' }) @Matches(/^\d{3,4}$/) cvc!: string;
}

/** How to pay: a sandbox card or a Stripe PaymentMethod. */
export class PayDto {
  @ApiPropertyOptional({ type: CardDto, description: 'Sandbox rail only; never sent in Stripe mode' })
  @OptionalNotNull()
  @IsDefined()
  @ValidateNested()
  @Type(() => CardDto)
  card?: CardDto;
  @ApiPropertyOptional({
    description: 'Stripe PaymentMethod id from the Payment Element (pm_…)',
    maxLength: 255,
  })
  @OptionalNotNull()
  @MaxLength(255)
  @Matches(/^pm_\w+$/)
  paymentMethodId?: string;
  @ApiPropertyOptional({ maxLength: 2048 })
  @OptionalNotNull()
  @MaxLength(2048)
  @IsUrl({ require_tld: false })
  returnUrl?: string;
}

/** Reserve an edition and, with payment details, pay at once; without them (sandbox) reserve only. */
export class CheckoutDto extends PayDto {
  @ApiPropertyOptional({
    description: 'A specific listing (edition) to buy; give one of listingId, dropId, tokenId',
  })
  @OptionalNotNull()
  @IsUUID()
  listingId?: string;
  @ApiPropertyOptional({
    description: 'Any available edition of this drop; give one of listingId, dropId, tokenId',
  })
  @OptionalNotNull()
  @IsUUID()
  dropId?: string;
  @ApiPropertyOptional({
    description:
      'The token you are looking at: buys its current offer (its listing, or for an edition of a drop any ' +
      'available edition of that drop); 409 `not-for-sale` if it has none. Give one of listingId, dropId, tokenId',
    example: 'tok_3q2Zk1m0aB4xY7cD',
  })
  @OptionalNotNull()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: 'tokenId must be a token id' })
  tokenId?: string;
  @ApiProperty({ description: 'Client-chosen key: retries return the same order' })
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/)
  idempotencyKey!: string;
}

export class SandboxChallengeDto {
  @ApiProperty() @IsBoolean() approve!: boolean;
}

export class ReceiptPageQuery {
  @ApiPropertyOptional({
    enum: RECEIPT_LANGUAGES,
    description:
      'The page’s language; without it, the first of these the Accept-Language header names, else en',
  })
  @IsOptional()
  @IsIn(RECEIPT_LANGUAGES)
  lang?: ReceiptLanguage;
}

export class MyOrdersQuery {
  @PageLimit(100, 20)
  limit?: number;

  @TimeIdCursor()
  cursor?: string;

  @ApiPropertyOptional({ enum: Object.keys(ORDER_TRANSITIONS), description: 'Only orders in this status' })
  @IsOptional()
  @IsIn(Object.keys(ORDER_TRANSITIONS))
  status?: OrderStatus;
}

export class OperatorOrdersQuery extends MyOrdersQuery {
  @ApiPropertyOptional({ description: "The buyer's public handle" })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  buyer?: string;

  @ApiPropertyOptional({ description: 'Only orders of this token' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tokenId?: string;
}
