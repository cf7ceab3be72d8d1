import { Module } from '@nestjs/common';
import { ContentModule } from '#content';
import { LedgerModule } from '#ledger';
import { CatalogueController } from './catalogue.controller.js';
import { CatalogueService } from './catalogue.service.js';
import { SeriesService } from './series.service.js';
import { TokenPageService } from './token-page.service.js';

/** The public catalogue: token and collection listings and token pages. */
@Module({
  imports: [LedgerModule, ContentModule],
  controllers: [CatalogueController],
  providers: [CatalogueService, TokenPageService, SeriesService],
  exports: [CatalogueService, TokenPageService, SeriesService],
})
export class CatalogueModule {}
