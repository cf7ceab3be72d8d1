import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '#identity';
import { CollectionSearchQuery, TokenIdParam, TokenSearchQuery } from './catalogue.dto.js';
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
  tokens(@Query() query: TokenSearchQuery) {
    return this.catalogue.searchTokens(query);
  }

  /** A token's page: metadata, media, owner handle, price and ledger provenance. */
  @Get('tokens/:id')
  token(@Param() params: TokenIdParam) {
    return this.tokenPages.tokenPage(params.id);
  }

  /** Collections by text and creator; keyset pages. */
  @Get('collections')
  collections(@Query() query: CollectionSearchQuery) {
    return this.catalogue.searchCollections(query);
  }
}
