import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { PageLimit, TimeIdCursor } from '#http';
import { CURRENCIES } from '#money';
import { DROP_STATES, type DropState } from './listing.service.js';

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

export class RepriceListingDto {
  @ApiProperty({
    description: priceDescription('The new price, integer minor units, in the listing’s currency'),
  })
  @IsInt()
  @Min(1)
  @Max(1e12)
  priceMinor!: number;
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

export class DropsQuery {
  @ApiPropertyOptional({ enum: DROP_STATES, default: 'live' })
  @IsOptional()
  @IsIn(DROP_STATES)
  state?: DropState;

  @PageLimit(100, 50)
  limit?: number;

  @TimeIdCursor()
  cursor?: string;
}
