import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal, Public, Roles } from '#identity';
import { CollectionService } from './collection.service.js';
import { CollectionView, CreateCollectionDto, MintDto, MintResultView } from './minting.dto.js';
import { MintService } from './mint.service.js';

@ApiTags('collections')
@Controller('collections')
export class CollectionsController {
  constructor(
    private readonly collections: CollectionService,
    private readonly minting: MintService,
  ) {}

  @ApiBearerAuth()
  @Roles('creator')
  @Post()
  @ApiOperation({
    summary: 'Create a collection',
    description: 'The caller becomes its creator; royalty, supply cap and resale policy are fixed here.',
  })
  @ApiCreatedResponse({ type: CollectionView })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateCollectionDto) {
    return this.collections.create(principal, body);
  }

  @Public()
  @Get(':id')
  @ApiOperation({ summary: 'Get a collection' })
  @ApiOkResponse({ type: CollectionView })
  @ApiProblems({ 404: ['not-found'] })
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.collections.get(id);
  }

  /** Mints 1-of-1s and numbered editions (up to 10,000 tokens), all or nothing. */
  @ApiBearerAuth()
  @Roles('creator')
  @Post(':id/mint')
  @ApiOperation({
    summary: 'Mint tokens into your collection',
    description:
      'All or nothing: every token and its ledger entry are written together. Idempotent per ' +
      '`idempotencyKey`: sending the same request again answers the same tokens with `created: ' +
      'false`; the same key with a different request is 409 `idempotency-key-reused`. Each ' +
      "item's `image` (and `animation_url`) must be `ipfs://<CID>` of media you uploaded " +
      '(POST /media). Problems with `errors` list every offending item.',
  })
  @ApiCreatedResponse({ type: MintResultView })
  @ApiProblems({
    403: ['media-not-yours'],
    404: ['not-found'],
    409: ['idempotency-key-reused', 'supply-cap-exceeded'],
    422: ['too-many-editions', 'invalid-metadata', 'unknown-media'],
    502: ['cid-mismatch'],
    503: ['content-store-unavailable'],
  })
  mint(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: MintDto,
  ) {
    return this.minting.mint(principal, id, body);
  }
}
