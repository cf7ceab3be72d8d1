import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Public, Roles } from '#identity';
import { CollectionService } from './collection.service.js';
import { CreateCollectionDto, MintDto } from './minting.dto.js';
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
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateCollectionDto) {
    return this.collections.create(principal, body);
  }

  @Public()
  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.collections.get(id);
  }

  /** Mints 1-of-1s and numbered editions (up to 10,000 tokens), all or nothing. */
  @ApiBearerAuth()
  @Roles('creator')
  @Post(':id/mint')
  mint(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: MintDto,
  ) {
    return this.minting.mint(principal, id, body);
  }
}
