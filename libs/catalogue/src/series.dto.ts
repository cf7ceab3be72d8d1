import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import {
  AttributeFilters,
  COLLECTION_SORTS,
  type CollectionSort,
  type Page,
  PageQuery,
  PriceView,
  TokenCollectionView,
} from './catalogue.dto.js';

/** GET /catalogue/series: the token search's text, creator, collection and attribute filters. */
export class SeriesSearchQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() collection?: string;

  @ApiPropertyOptional({
    description: 'Count and price only the offers in this currency (ISO 4217, e.g. USD)',
  })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as USD' })
  currency?: string;

  @AttributeFilters()
  attr?: string[];

  @ApiPropertyOptional({ enum: COLLECTION_SORTS, default: 'newest', description: 'By mint order' })
  @IsOptional()
  @IsIn(COLLECTION_SORTS)
  sort?: CollectionSort;
}

export class SeriesEditionsView {
  @ApiProperty({ type: 'integer', description: 'Editions minted of the piece' }) total!: number;
  @ApiProperty({
    type: 'integer',
    description: 'Editions a checkout can take now: listed, not held by a buyer, their drop started',
  })
  available!: number;
}

/** The cheapest available edition of a series, to buy with POST /checkout. */
export class SeriesOfferView {
  @ApiProperty({ description: 'POST /checkout `tokenId` buys this edition (or its drop’s next one)' })
  tokenId!: string;
  @ApiProperty({ format: 'uuid', description: 'POST /checkout `listingId` (not for drop editions)' })
  listingId!: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The drop it is an edition of: POST /checkout `dropId` buys any available edition',
  })
  dropId!: string | null;
  @ApiProperty({ type: 'integer', example: 3 }) editionNumber!: number;
  @ApiProperty({ type: () => PriceView }) price!: PriceView;
}

/** One piece with all its editions: what a buyer browses when editions are identical. */
export class SeriesSummaryView {
  @ApiProperty({ description: 'Token id of edition 1, which stands for the series' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: () => TokenCollectionView }) collection!: TokenCollectionView;
  @ApiProperty() creatorHandle!: string;
  @ApiProperty({ example: 'ipfs://bafkrei…' }) image!: string;
  @ApiProperty({ example: '/media/bafkrei…' }) mediaUrl!: string;
  @ApiProperty({ type: () => SeriesEditionsView }) editions!: SeriesEditionsView;
  @ApiProperty({
    type: () => SeriesOfferView,
    nullable: true,
    description:
      'The cheapest available edition (lowest price in minor units; pass `currency` to compare within one ' +
      'currency); null when none is available now',
  })
  cheapest!: SeriesOfferView | null;
  @ApiProperty({ format: 'date-time' }) mintedAt!: string;
}

export class SeriesListView implements Page<SeriesSummaryView> {
  @ApiProperty({ type: [SeriesSummaryView] }) items!: SeriesSummaryView[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page, with the same filters and sort; null on the last page',
  })
  nextCursor!: string | null;
}
