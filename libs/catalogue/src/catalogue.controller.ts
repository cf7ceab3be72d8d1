import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { OptionalPrincipal, type Principal, Public } from '#identity';
import {
  CollectionListView,
  CollectionSearchQuery,
  TokenIdParam,
  TokenListView,
  TokenPageView,
  TokenSearchQuery,
} from './catalogue.dto.js';
import { CatalogueService } from './catalogue.service.js';
import { SeriesListView, SeriesSearchQuery } from './series.dto.js';
import { SeriesService } from './series.service.js';
import { TokenPageService } from './token-page.service.js';

/**
 * Public storefront reads: no login. They may be served by a read replica a little behind the
 * primary; a signed-in reader's own writes are always included (their read fence, see ReadRouter).
 */
@ApiTags('catalogue')
@Public()
@Controller('catalogue')
export class CatalogueController {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly tokenPages: TokenPageService,
    private readonly series: SeriesService,
  ) {}

  /** Tokens by text, creator, collection, price, availability and attributes; keyset pages. */
  @Get('tokens')
  @ApiOperation({
    summary: 'Search tokens',
    description:
      'Filters combine (AND). Keyset pages: pass `nextCursor` back as `cursor` with the same filters ' +
      'and sort; a cursor of another listing is 400 `invalid-cursor`. Price filters and price sorts ' +
      'need `currency`. `q` is full-text search for words; text with Chinese, Japanese or Korean ' +
      'characters matches by substring (`鹤` finds `仙鹤`). Each token carries its current `offer`; ' +
      '`available=true` leaves out editions of drops that have not started. Numbered editions of one ' +
      'piece are separate tokens here: GET /catalogue/series lists one row per piece.',
  })
  @ApiOkResponse({ type: TokenListView })
  @ApiProblems({ 400: ['invalid-cursor', 'currency-required', 'bad-price-range', 'bad-attribute-filter'] })
  tokens(@Query() query: TokenSearchQuery, @OptionalPrincipal() reader?: Principal) {
    return this.catalogue.searchTokens(query, reader?.readFence);
  }

  /** One row per piece (its editions grouped), with availability and the cheapest edition to buy. */
  @Get('series')
  @ApiOperation({
    summary: 'Search series: one row per piece, its editions grouped',
    description:
      'A series is the numbered editions one mint request made of one piece (same collection and ' +
      'metadata). Each row counts the editions minted (`editions.total`) and those a checkout can take ' +
      'now (`editions.available`: listed, not held by a buyer, their drop started), and names the ' +
      'cheapest available edition (`cheapest`: buy it with POST /checkout and its `tokenId`, or ' +
      '`listingId` / `dropId`). Filters (`q`, `creator`, `collection`, `attr`) work as on ' +
      'GET /catalogue/tokens; `currency` counts and prices only offers in that currency. Keyset pages in ' +
      'mint order: pass `nextCursor` back as `cursor` with the same filters and sort.',
  })
  @ApiOkResponse({ type: SeriesListView })
  @ApiProblems({ 400: ['invalid-cursor', 'bad-attribute-filter'] })
  seriesList(@Query() query: SeriesSearchQuery, @OptionalPrincipal() reader?: Principal) {
    return this.series.searchSeries(query, reader?.readFence);
  }

  /** A token's page: metadata, media, owner handle, price and ledger provenance. */
  @Get('tokens/:id')
  @ApiOperation({ summary: "Get a token's page: metadata, media, owner, price and provenance" })
  @ApiOkResponse({ type: TokenPageView })
  @ApiProblems({ 404: ['not-found'] })
  token(@Param() params: TokenIdParam, @OptionalPrincipal() reader?: Principal) {
    return this.tokenPages.tokenPage(params.id, reader?.readFence);
  }

  /** Collections by text and creator; keyset pages. */
  @Get('collections')
  @ApiOperation({
    summary: 'Search collections',
    description:
      '`q` is full-text search for words; text with Chinese, Japanese or Korean characters matches by ' +
      'substring. Keyset pages: pass `nextCursor` back as `cursor` with the same filters and sort.',
  })
  @ApiOkResponse({ type: CollectionListView })
  @ApiProblems({ 400: ['invalid-cursor'] })
  collections(@Query() query: CollectionSearchQuery, @OptionalPrincipal() reader?: Principal) {
    return this.catalogue.searchCollections(query, reader?.readFence);
  }
}
