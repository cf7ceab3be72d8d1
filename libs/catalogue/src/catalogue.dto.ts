import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PageLimit } from '#http';
import { ledgerCore } from '#ledger';

export const TOKEN_SORTS = ['newest', 'oldest', 'price_asc', 'price_desc'] as const;
export type TokenSort = (typeof TOKEN_SORTS)[number];
export const COLLECTION_SORTS = ['newest', 'oldest'] as const;
export const TOKEN_STATUSES = ['active', 'frozen', 'burned'] as const;
export type CollectionSort = (typeof COLLECTION_SORTS)[number];

export const DEFAULT_PAGE_SIZE = 24;
export const MAX_PAGE_SIZE = 100;
export const MAX_ATTRIBUTE_FILTERS = 10;
/** `trait:value`; the trait ends at the first colon, the value may contain more. */
export const ATTRIBUTE_FILTER = /^[^:]{1,100}:[\s\S]{1,500}$/;
/** An account id (UUID) or a public handle. */
const CREATOR = /^([0-9a-fA-F-]{36}|[a-z0-9_-]{3,30})$/;
const CURSOR = /^[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{1,64}$/;
const MAX_MINOR = Number.MAX_SAFE_INTEGER;

/** The repeatable `attr` query parameter: trait:value filters (one value arrives as a string). */
export function AttributeFilters(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      description: 'Attribute filter trait:value, repeatable; values of one trait are OR-ed, traits AND-ed',
    }),
    IsOptional(),
    Transform(({ value }) => (value === undefined || Array.isArray(value) ? value : [value])),
    IsArray(),
    ArrayMaxSize(MAX_ATTRIBUTE_FILTERS),
    IsString({ each: true }),
    Matches(ATTRIBUTE_FILTER, { each: true, message: 'attr must look like trait:value' }),
  );
}

/** Query parameters shared by every listing: free text, creator, page size and cursor. */
export class PageQuery {
  @ApiPropertyOptional({
    description:
      'Full-text search (web search syntax: words, "phrases", -not, or); text with Chinese, Japanese ' +
      'or Korean characters matches by substring',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ description: 'Creator account id or public handle' })
  @IsOptional()
  @Matches(CREATOR, { message: 'creator must be an account id or a handle' })
  creator?: string;

  @PageLimit(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, unchanged' })
  @IsOptional()
  @Matches(CURSOR, { message: 'cursor must be a nextCursor returned by this listing' })
  cursor?: string;
}

export class TokenSearchQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() collection?: string;

  @ApiPropertyOptional({ description: 'Lowest price in minor units (needs currency)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  minPrice?: number;

  @ApiPropertyOptional({ description: 'Highest price in minor units (needs currency)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  maxPrice?: number;

  @ApiPropertyOptional({ description: 'ISO 4217 code of the listing price, e.g. USD' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as USD' })
  currency?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: listed for sale now' })
  @IsOptional()
  @IsIn(['true', 'false'])
  available?: 'true' | 'false';

  @AttributeFilters()
  attr?: string[];

  @ApiPropertyOptional({ enum: TOKEN_SORTS, default: 'newest' })
  @IsOptional()
  @IsIn(TOKEN_SORTS)
  sort?: TokenSort;
}

export class CollectionSearchQuery extends PageQuery {
  @ApiPropertyOptional({ enum: COLLECTION_SORTS, default: 'newest' })
  @IsOptional()
  @IsIn(COLLECTION_SORTS)
  sort?: CollectionSort;
}

export class TokenIdParam {
  @ApiProperty({ example: 'tok_3q2Zk1m0aB4xY7cD' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: 'id must be a token id' })
  @MaxLength(128)
  id!: string;
}

/** A listing price in integer minor units. */
export class PriceView {
  @ApiProperty({ type: 'integer', example: 2500, description: 'Integer minor units (2500 = 25.00 USD)' })
  amountMinor!: number;
  @ApiProperty({ example: 'USD', description: 'ISO 4217' }) currency!: string;
}

export class EditionView {
  @ApiProperty({ type: 'integer', example: 3 }) number!: number;
  @ApiProperty({ type: 'integer', example: 10 }) total!: number;
  @ApiProperty({ example: '3 of 10' }) label!: string;
}

export class TokenCollectionView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

/** A token's current offer: its listing, and the drop it is an edition of. */
export class OfferView {
  @ApiProperty({ format: 'uuid', description: 'Buy with POST /checkout `listingId` (or `tokenId`)' })
  listingId!: string;
  @ApiProperty({ enum: ['primary', 'resale'], description: 'primary: sold by the creator' }) kind!: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The drop it is an edition of: POST /checkout `dropId` buys any available edition of it',
  })
  dropId!: string | null;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) priceMinor!: number;
  @ApiProperty({ example: 'USD', description: 'ISO 4217' }) currency!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the drop opens' })
  startsAt!: string | null;
  @ApiProperty({
    description: 'Whether a checkout can take it now: not held by another buyer, its drop open',
  })
  available!: boolean;
}

/** One token in a listing. */
export class TokenSummaryView {
  @ApiProperty({ example: 'tok_3q2Zk1m0aB4xY7cD' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: () => EditionView }) edition!: EditionView;
  @ApiProperty({ type: () => TokenCollectionView }) collection!: TokenCollectionView;
  @ApiProperty() creatorHandle!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null after a burn' })
  ownerHandle!: string | null;
  @ApiProperty({ example: 'ipfs://bafkrei…' }) image!: string;
  @ApiProperty({ example: '/media/bafkrei…', description: 'Path of the image on this API' })
  mediaUrl!: string;
  @ApiProperty({ enum: TOKEN_STATUSES }) status!: (typeof TOKEN_STATUSES)[number];
  @ApiProperty({
    type: () => PriceView,
    nullable: true,
    description: 'The price while listed for sale; null when not for sale',
  })
  price!: PriceView | null;
  @ApiProperty({ format: 'date-time' }) mintedAt!: string;
  @ApiProperty({
    type: () => OfferView,
    nullable: true,
    description:
      "What it is on sale as now (buy with POST /checkout and `tokenId`, or the offer's `listingId` or " +
      "`dropId`); null when not for sale. A drop's editions show `available: false` until it starts",
  })
  offer!: OfferView | null;
}

/** One collection in a listing. */
export class CollectionSummaryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty() creatorHandle!: string;
  @ApiProperty({ type: 'integer', description: 'Creator royalty in basis points' }) royaltyBps!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no cap' }) supplyCap!: number | null;
  @ApiProperty({ type: 'integer' }) minted!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

/** A page of a keyset listing; nextCursor is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const NEXT_CURSOR = {
  type: String,
  nullable: true,
  description: 'Pass as `cursor` for the next page, with the same filters and sort; null on the last page',
};

export class TokenListView implements Page<TokenSummaryView> {
  @ApiProperty({ type: [TokenSummaryView] }) items!: TokenSummaryView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

export class CollectionListView implements Page<CollectionSummaryView> {
  @ApiProperty({ type: [CollectionSummaryView] }) items!: CollectionSummaryView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

/** One ledger event of a token, as the token page shows it. */
export class ProvenanceView {
  @ApiProperty({ type: 'integer', description: 'Position in the ledger log' }) index!: number;
  @ApiProperty({ type: 'integer', description: "The token's own event number: 0 for the mint" }) seq!: number;
  @ApiProperty({ enum: ledgerCore.ENTRY_TYPES }) type!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Public handle of the holder after the event; null after a burn or for a deleted account',
  })
  ownerHandle!: string | null;
}

export class TokenPageCollectionView extends TokenCollectionView {
  @ApiProperty({ type: 'integer', description: 'Creator royalty in basis points' }) royaltyBps!: number;
}

/** A token's public page. */
export class TokenPageView extends OmitType(TokenSummaryView, ['collection'] as const) {
  @ApiProperty() description!: string;
  @ApiProperty({ type: () => TokenPageCollectionView }) collection!: TokenPageCollectionView;
  @ApiProperty({ description: 'CID of the metadata document' }) metadataCid!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The NFT metadata document; null when it cannot be read and verified right now',
  })
  metadata!: Record<string, unknown> | null;
  @ApiProperty({
    type: [ProvenanceView],
    description: 'Ledger events in log order (with proofs at GET /ledger/tokens/{tokenId}/history)',
  })
  history!: ProvenanceView[];
  @ApiProperty({
    type: 'integer',
    description: 'Events committed but not yet in the ledger tree (usually for under a second)',
  })
  historyPending!: number;
}
