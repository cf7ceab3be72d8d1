import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { Public } from '#identity';
import {
  CollectionListView,
  CollectionSearchQuery,
  TokenIdParam,
  TokenListView,
  TokenPageView,
  TokenSearchQuery,
} from './catalogue.dto.js';
import { CatalogueService } from './catalogue.service.js';
import { TokenPageService } from './token-page.service.js';

/** Public storefront reads: no login. */
@ApiTags('catalogue')
@Public()
@Controller('catalogue')
export class CatalogueController {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly tokenPages: TokenPageService,
  ) {}

  /** Tokens by text, creator, collection, price, availability and attributes; keyset pages. */
  @Get('tokens')
  @ApiOperation({
    summary: 'Search tokens',
    description:
      'Filters combine (AND). Keyset pages: pass `nextCursor` back as `cursor` with the same filters ' +
      'and sort; a cursor of another listing is 400 `invalid-cursor`. Price filters and price sorts ' +
      'need `currency`.',
  })
  @ApiOkResponse({ type: TokenListView })
  @ApiProblems({ 400: ['invalid-cursor', 'currency-required', 'bad-price-range', 'bad-attribute-filter'] })
  tokens(@Query() query: TokenSearchQuery) {
    return this.catalogue.searchTokens(query);
  }

  /** A token's page: metadata, media, owner handle, price and ledger provenance. */
  @Get('tokens/:id')
  @ApiOperation({ summary: "Get a token's page: metadata, media, owner, price and provenance" })
  @ApiOkResponse({ type: TokenPageView })
  @ApiProblems({ 404: ['not-found'] })
  token(@Param() params: TokenIdParam) {
    return this.tokenPages.tokenPage(params.id);
  }

  /** Collections by text and creator; keyset pages. */
  @Get('collections')
  @ApiOperation({
    summary: 'Search collections',
    description: 'Keyset pages: pass `nextCursor` back as `cursor` with the same filters and sort.',
  })
  @ApiOkResponse({ type: CollectionListView })
  @ApiProblems({ 400: ['invalid-cursor'] })
  collections(@Query() query: CollectionSearchQuery) {
    return this.catalogue.searchCollections(query);
  }
}
