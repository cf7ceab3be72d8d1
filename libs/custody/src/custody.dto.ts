import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageLimit } from '#http';
import type { GiftService } from './gift.service.js';
import type { HoldingsService } from './holdings.service.js';
import type { TokenActionsService } from './token-actions.service.js';

type Answer<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;

export const MAX_PAGE_SIZE = 100;

export class GiftDto {
  @ApiProperty({ example: 'ada', description: 'Public handle of the account receiving the token' })
  @Matches(/^[a-z0-9_-]{3,30}$/, { message: 'toHandle must be a handle (3-30 of a-z 0-9 _ -)' })
  toHandle!: string;

  @ApiProperty({ description: 'Client-chosen key: the same key gives once (a retry answers the same gift)' })
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/, { message: 'idempotencyKey must be 8-100 of A-Z a-z 0-9 . _ : -' })
  idempotencyKey!: string;
}

export class ReasonDto {
  @ApiProperty({
    description: 'Why: kept in the operator action trail that auditors read',
    example: 'Court order 2026-118',
  })
  @IsString()
  @Matches(/\S/, { message: 'reason must not be blank' })
  @MaxLength(2000)
  reason!: string;
}

class PageQuery {
  @PageLimit(MAX_PAGE_SIZE, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' })
  @IsOptional()
  @Matches(/^[0-9]{1,18}$/, { message: 'cursor must be a nextCursor returned by this listing' })
  cursor?: string;
}

export class HoldingsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() collection?: string;
  @ApiPropertyOptional({ enum: ['active', 'frozen'] })
  @IsOptional()
  @IsIn(['active', 'frozen'])
  status?: 'active' | 'frozen';
}

type GiftShape = Answer<GiftService['gift']>;
type HoldingShape = Answer<HoldingsService['list']>['items'][number];
type TokenActionShape = Answer<TokenActionsService['freeze']>;

export class GiftView implements GiftShape {
  @ApiProperty({ format: 'uuid' }) giftId!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({ example: 'ada' }) fromHandle!: string;
  @ApiProperty({ example: 'grace' }) toHandle!: string;
  @ApiProperty({ description: 'The ledger `transfer` entry’s ref' }) ledgerRef!: string;
  @ApiProperty({ format: 'date-time' }) givenAt!: string;
}

class HoldingListingView {
  @ApiProperty({ format: 'uuid' }) listingId!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) priceMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
}

export class HoldingView implements HoldingShape {
  @ApiProperty() tokenId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) collectionId!: string;
  @ApiProperty() collectionName!: string;
  @ApiProperty({ type: 'integer' }) editionNumber!: number;
  @ApiProperty({ type: 'integer' }) editionTotal!: number;
  @ApiProperty({ description: 'CID of the image' }) imageCid!: string;
  @ApiProperty({ enum: ['active', 'frozen'] }) status!: HoldingShape['status'];
  @ApiProperty({ format: 'date-time' }) acquiredAt!: string;
  @ApiProperty({ type: HoldingListingView, nullable: true, description: 'Its active listing, if on sale' })
  listing!: HoldingListingView | null;
  @ApiProperty({ description: 'Certificate of current ownership: GET this path' }) certificate!: string;
}

export class HoldingsPageView {
  @ApiProperty({ type: [HoldingView] }) items!: HoldingView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  nextCursor!: string | null;
}

export class TokenActionView implements TokenActionShape {
  @ApiProperty() tokenId!: string;
  @ApiProperty({ enum: ['active', 'frozen', 'burned'] }) status!: TokenActionShape['status'];
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) ownerId!: string | null;
  @ApiProperty({ description: 'The operator action’s ref, also on the ledger entry', example: 'act_42' })
  actionRef!: string;
}
