export {
  type CollectionSummaryView,
  type Page,
  type PriceView,
  type ProvenanceView,
  type TokenPageView,
  type TokenSummaryView,
  CollectionSearchQuery,
  TokenIdParam,
  TokenSearchQuery,
} from './catalogue.dto.js';
export { CatalogueModule } from './catalogue.module.js';
export { CatalogueService } from './catalogue.service.js';
export { SeriesSearchQuery, type SeriesSummaryView } from './series.dto.js';
export { SeriesService } from './series.service.js';
export { TokenPageService } from './token-page.service.js';
