// Market: listings, drops and lotteries. The only lib that writes `listings`, `drops` and
// `drop_entries`. Other libs change listings only through the functions of listings.ts, in their
// own transaction. One statement of market's also writes `orders`: the SQL function
// `reserve_from_drop` (see `reserveFromDropInOneCall` and README.md), kept as one call for speed.
export {
  LISTINGS_SOLD_PARAMS,
  listingsSoldCtes,
  listingsSoldValues,
  lockListing,
  relistAfterRevert,
  releaseListing,
  reserveFromDrop,
  reserveFromDropInOneCall,
  reserveListing,
  type DropReservations,
  type ListingRow,
} from './listings.js';
export {
  inUpcomingDropSql,
  offerAvailable,
  tokenOffer,
  tokenOffers,
  unavailableOfferTokensSql,
  type TokenOffer,
} from './offers.js';
export { ListingService, type ListingView } from './listing.service.js';
export { drawWinners, newTicket, seedCommitment } from './lottery.js';
export { LotteryService, type OwnEntry } from './lottery.service.js';
export { CreateDropDto, CreateListingDto, DropsQuery, RepriceListingDto } from './market.dto.js';
export { MarketModule } from './market.module.js';
