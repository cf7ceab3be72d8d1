import { ApiPropertyOptional } from '@nestjs/swagger';
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

export const TOKEN_SORTS = ['newest', 'oldest', 'price_asc', 'price_desc'] as const;
export type TokenSort = (typeof TOKEN_SORTS)[number];
export const COLLECTION_SORTS = ['newest', 'oldest'] as const;
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

/** Query parameters shared by every listing: free text, creator, page size and cursor. */
class PageQuery {
  @ApiPropertyOptional({ description: 'Full-text search (web search syntax: words, "phrases", -not, or)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ description: 'Creator account id or public handle' })
  @IsOptional()
  @Matches(CREATOR, { message: 'creator must be an account id or a handle' })
  creator?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
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

  @ApiPropertyOptional({
    type: [String],
    description: 'Attribute filter trait:value, repeatable; values of one trait are OR-ed, traits AND-ed',
  })
  @IsOptional()
  @Transform(({ value }) => (value === undefined || Array.isArray(value) ? value : [value]))
  @IsArray()
  @ArrayMaxSize(MAX_ATTRIBUTE_FILTERS)
  @IsString({ each: true })
  @Matches(ATTRIBUTE_FILTER, { each: true, message: 'attr must look like trait:value' })
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
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: 'id must be a token id' })
  @MaxLength(128)
  id!: string;
}

/** A listing price in integer minor units. */
export interface PriceView {
  amountMinor: number;
  currency: string;
}

/** One token in a listing. */
export interface TokenSummaryView {
  id: string;
  name: string;
  edition: { number: number; total: number; label: string };
  collection: { id: string; name: string };
  creatorHandle: string;
  ownerHandle: string | null;
  image: string;
  mediaUrl: string;
  status: 'active' | 'frozen' | 'burned';
  price: PriceView | null;
  mintedAt: string;
}

/** One collection in a listing. */
export interface CollectionSummaryView {
  id: string;
  name: string;
  description: string;
  creatorHandle: string;
  royaltyBps: number;
  supplyCap: number | null;
  minted: number;
  createdAt: string;
}

/** A page of a keyset listing; nextCursor is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One ledger event of a token, as the token page shows it. */
export interface ProvenanceView {
  index: number;
  seq: number;
  type: string;
  at: string;
  /** Public handle of the account holding the token after the event, when it still exists. */
  ownerHandle: string | null;
}

/** A token's public page. */
export interface TokenPageView extends TokenSummaryView {
  description: string;
  collection: { id: string; name: string; royaltyBps: number };
  metadataCid: string;
  /** The metadata document from the content store; null if it cannot be read and verified. */
  metadata: Record<string, unknown> | null;
  /** Integrated ledger entries in log order (with proofs at /ledger/tokens/:id/history). */
  history: ProvenanceView[];
  /** Entries committed but not yet integrated into the Merkle tree (usually for < 1 s). */
  historyPending: number;
}
