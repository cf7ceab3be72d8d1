import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CURRENCIES } from '#money';

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
  @ApiPropertyOptional({ description: 'A specific listing (edition) to buy; give this or dropId' })
  @OptionalNotNull()
  @IsUUID()
  listingId?: string;
  @ApiPropertyOptional({ description: 'Any available edition of this drop; give this or listingId' })
  @OptionalNotNull()
  @IsUUID()
  dropId?: string;
  @ApiProperty({ description: 'Client-chosen key: retries return the same order' })
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/)
  idempotencyKey!: string;
}

/** A price's description: one below the card processor's minimum charge is refused (422 `price-below-minimum`). */
const priceDescription = (what: string) =>
  `${what}, at least the card processor’s minimum charge for the currency (USD/EUR 50, GBP 30, JPY 50, …)`;

export class CreateListingDto {
  @ApiProperty() @IsString() @Length(1, 128) tokenId!: string;
  @ApiProperty({ description: priceDescription('Integer minor units') })
  @IsInt()
  @Min(1)
  @Max(1e12)
  priceMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) @IsIn(CURRENCIES) currency!: string;
}

export class CreateDropDto {
  @ApiProperty() @IsUUID() collectionId!: string;
  @ApiProperty({ description: priceDescription('Price per edition, integer minor units') })
  @IsInt()
  @Min(1)
  @Max(1e12)
  priceMinor!: number;
  @ApiProperty({ enum: CURRENCIES }) @IsIn(CURRENCIES) currency!: string;
  @ApiProperty() @IsISO8601({ strict: true }) startsAt!: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1_000_000) perBuyerLimit?: number;
  @ApiPropertyOptional({ enum: ['first-come', 'lottery'] })
  @IsOptional()
  @IsIn(['first-come', 'lottery'])
  mode?: 'first-come' | 'lottery';
  @ApiPropertyOptional({ description: 'Lottery: entries are accepted from startsAt until this time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  entriesCloseAt?: string;
}

export class SandboxChallengeDto {
  @ApiProperty() @IsBoolean() approve!: boolean;
}
